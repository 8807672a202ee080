"""Django finds an app's models here: the shared core's live in the modules that use them."""

from providers.once import ActionRecord

__all__ = ["ActionRecord"]
