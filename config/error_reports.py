"""Keeps keys, tokens and passwords out of error reports (Django's DEBUG page and the error emails).

Django masks only settings and variables it is told about (`sensitive_variables`); a provider's key
also sits in a client's attributes, a request's headers and body, a form's data. This filter first
gathers every value held under a secret-looking name - in the posted form, in the local variables
of the failing frame and of every frame that called it, in their dictionaries and their objects'
attributes - and then masks each variable whose name looks secret or whose shown value contains one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import FrameType

from django.template.defaultfilters import pprint
from django.views.debug import SafeExceptionReporterFilter

# Django's own pattern, plus "pwd" and the names the providers give their credentials.
SECRET_NAME = re.compile(r"API|AUTH|TOKEN|KEY|SECRET|PASS|PWD|SIGNATURE|HTTP_COOKIE|CREDENTIAL", flags=re.I)
# "scheme://user:password@host": the password of a URL held in a setting (e.g. the broker's).
URL_PASSWORD = re.compile(r"(?P<head>\w[\w+.-]*://[^/@:\s]*:)[^/@\s]+(?P<tail>@)")
SHORTEST_SECRET = 6
SEARCH_DEPTH = 3


def _secret_values(name: object, value: object, depth: int = 0) -> Iterator[str]:
    """The strings held under a secret-looking name in `value`, searched `SEARCH_DEPTH` levels deep."""
    # type(), not isinstance(): a lazy object (the request's user, say) claims to be a str.
    if type(value) is str:
        if type(name) is str and SECRET_NAME.search(name) and len(value) >= SHORTEST_SECRET:
            yield value
        return
    if depth >= SEARCH_DEPTH or isinstance(value, (bytes, int, float, bool)) or value is None:
        return
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = ((name, item) for item in value)
    else:
        try:
            items = vars(value).items()
        except TypeError:  # no __dict__: nothing we can look into
            return
    for key, item in list(items):
        yield from _secret_values(key, item, depth + 1)


class SecretsFilter(SafeExceptionReporterFilter):
    hidden_settings = SECRET_NAME

    def is_active(self, request) -> bool:
        return True  # with DEBUG on too: that is when the page is shown to whoever caused the error

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if type(cleansed) is str:
            return URL_PASSWORD.sub(rf"\g<head>{self.cleansed_substitute}\g<tail>", cleansed)
        return cleansed

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if request is None:
            return parameters
        cleansed = parameters.copy()
        for name in parameters:
            if SECRET_NAME.search(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame: FrameType):
        secrets = self._secrets(request, tb_frame)
        variables = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if SECRET_NAME.search(name) or any(secret in pprint(value) for secret in secrets):
                value = self.cleansed_substitute
            variables.append((name, value))
        return variables

    def _secrets(self, request, tb_frame: FrameType) -> set[str]:
        found: set[str] = set()
        if request is not None and request.method == "POST":
            found.update(_secret_values("POST", dict(request.POST.items())))
        frame: FrameType | None = tb_frame
        while frame is not None:
            found.update(_secret_values("locals", frame.f_locals))
            frame = frame.f_back
        return found
