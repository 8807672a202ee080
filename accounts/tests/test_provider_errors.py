import pytest
from django.utils import translation

from accounts.provider_errors import explain
from provider_api import errors


@pytest.mark.parametrize(
    ("error", "ours"),
    [
        (errors.AuthenticationError("Unauthorized", provider="Numery-Premium", code=401), "credentials"),
        (errors.NotFoundError("Not found", provider="SPIKON", code=-3), "does not know"),
        (errors.InvalidInputError("Not enough money", provider="Numery-Premium", code=422), "rejected"),
        (errors.AlreadyExistsError("Already exist", provider="SPIKON", code=-10), "already exists"),
        (
            errors.UnavailableError("no answer in time", provider="SPIKON", outcome_unknown=True),
            "may have done it",
        ),
        (errors.UnavailableError("connection failed", provider="SPIKON"), "nothing was changed"),
        (errors.ProviderError("odd", provider="SerwerSMS", code=1000), "refused the request"),
    ],
)
def test_explain_keeps_the_providers_words(error, ours):
    with translation.override("en"):
        text = explain(error)
    assert ours in text
    assert error.provider_message in text
    if error.code is not None:
        assert str(error.code) in text
