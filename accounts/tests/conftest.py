import pytest

from tests.smtp import start_smtp_server


@pytest.fixture
def mailbox(settings):
    """A real local SMTP server that Django sends to; yields what it received."""
    controller, received = start_smtp_server(settings)
    yield received
    controller.stop()


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counts live in the cache (each process's memory): each test starts with none."""
    from django.core.cache import cache

    cache.clear()
