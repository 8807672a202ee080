"""The explanation table, whole: every code the clients know and every shared kind, in Polish and English."""

import pytest
from django.utils import translation

from accounts import provider_errors
from accounts.provider_errors import BY_CODE, BY_KIND, BY_REASON, explain
from premium import client as premium_client
from provider_api import errors
from provider_api.errors import UnavailableReason
from sms import client as sms_client
from spikon import client as spikon_client

# Every code each client maps to an error class, with that class: the errors the clients raise.
CLIENT_CODES = {
    **{(premium_client.PROVIDER, code): cls for code, (cls, _name) in premium_client._HTTP_ERRORS.items()},
    **{(spikon_client.PROVIDER, code): cls for code, (_name, cls, _words) in spikon_client._ERRORS.items()},
    **{(sms_client.PROVIDER, code): cls for code, cls in sms_client._ERROR_BY_CODE.items()},
}
# The codes issue 19 names: a client that stopped knowing one would lose its sentence silently.
NAMED_CODES = {
    *((premium_client.PROVIDER, code) for code in (401, 403, 404, 405, 422)),
    *((spikon_client.PROVIDER, code) for code in (*range(-1, -13, -1), -1000)),
    *((sms_client.PROVIDER, code) for code in (*range(1000, 1008), 2000, 2001, 2002)),
}
WORDS = "słowa dostawcy"


def render(error: errors.ProviderError, language: str) -> str:
    with translation.override(language):
        return explain(error)


def in_language(sentence, language: str) -> str:
    with translation.override(language):
        return str(sentence)


def assert_translated(sentence) -> None:
    polish, english = in_language(sentence, "pl"), in_language(sentence, "en")
    assert polish.strip() and english.strip()
    assert polish != english, f"no Polish translation of {english!r}"


def test_the_table_names_the_providers_as_the_clients_do():
    assert provider_errors.NUMERY_PREMIUM == premium_client.PROVIDER
    assert provider_errors.SPIKON == spikon_client.PROVIDER
    assert provider_errors.SERWERSMS == sms_client.PROVIDER


def test_every_code_the_clients_know_has_its_sentence_and_the_table_has_no_other():
    assert set(CLIENT_CODES) >= NAMED_CODES
    assert set(BY_CODE) == set(CLIENT_CODES)


@pytest.mark.parametrize(("key", "cls"), CLIENT_CODES.items(), ids=lambda v: str(v))
@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_code_is_explained_then_shown_with_the_providers_code_and_words(key, cls, language):
    provider, code = key
    error = cls(WORDS, provider=provider, code=code)

    text = render(error, language)

    assert_translated(BY_CODE[key])
    assert text.startswith(in_language(BY_CODE[key], language))
    assert f"{provider} {code}" in text and WORDS in text


@pytest.mark.parametrize("kind", BY_KIND, ids=lambda kind: kind.__name__)
def test_every_shared_kind_has_its_sentence_in_both_languages(kind):
    error = kind(WORDS, provider="SPIKON", code=-99)  # a code the table does not know

    assert_translated(BY_KIND[kind])
    for language in ("pl", "en"):
        assert render(error, language).startswith(in_language(BY_KIND[kind], language))


def test_the_shared_kinds_cover_every_error_class():
    classes = {errors.ProviderError, *errors.ProviderError.__subclasses__()} - {errors.UnavailableError}
    assert set(BY_KIND) == classes


@pytest.mark.parametrize("reason", UnavailableReason, ids=str)
@pytest.mark.parametrize("outcome_unknown", [False, True], ids=["read or not sent", "act sent"])
def test_every_transport_outcome_says_what_happened_and_whether_it_may_have_acted(reason, outcome_unknown):
    error = errors.UnavailableError(
        "technical detail", provider="SPIKON", reason=reason, outcome_unknown=outcome_unknown
    )
    assert_translated(BY_REASON[reason])
    assert_translated(provider_errors.OUTCOME_UNKNOWN)
    assert_translated(provider_errors.NOTHING_CHANGED)

    for language in ("pl", "en"):
        text = render(error, language)
        said = provider_errors.OUTCOME_UNKNOWN if outcome_unknown else provider_errors.NOTHING_CHANGED
        unsaid = provider_errors.NOTHING_CHANGED if outcome_unknown else provider_errors.OUTCOME_UNKNOWN
        assert text.startswith(f"{in_language(BY_REASON[reason], language)} {in_language(said, language)}")
        assert in_language(unsaid, language) not in text
        assert "SPIKON: technical detail" in text


def test_the_transport_outcomes_read_as_different_facts():
    with translation.override("en"):
        sentences = {str(sentence) for sentence in BY_REASON.values()}
    assert len(sentences) == len(UnavailableReason)


def test_only_an_answer_counts_as_the_providers_words():
    timeout = errors.UnavailableError(
        "no answer in time", provider="SPIKON", reason=UnavailableReason.TIMEOUT
    )
    page = errors.UnavailableError("an HTML page", provider="SPIKON", reason=UnavailableReason.HTML_PAGE)

    assert render(timeout, "en").endswith("Details: SPIKON: no answer in time")
    assert render(timeout, "pl").endswith("Szczegóły: SPIKON: no answer in time")
    assert render(page, "en").endswith("Provider says: SPIKON: an HTML page")
    assert render(page, "pl").endswith("Odpowiedź dostawcy: SPIKON: an HTML page")


# --- The defects issue 19 names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "english", "polish"),
    [
        (-4, "Turn it on in „Ustawienia i dodatki”", "Włącz je w „Ustawienia i dodatki”"),
        (-5, "outgoing IP address to the whitelist", "wychodzący adres IP tego serwera do białej listy"),
    ],
)
def test_spikon_api_off_and_address_not_whitelisted_are_not_called_refused_credentials(code, english, polish):
    error = errors.AuthenticationError("Adres IP", provider="SPIKON", code=code)

    assert english in render(error, "en") and polish in render(error, "pl")
    assert "credentials" not in render(error, "en") and "login details" not in render(error, "en")


def test_numery_premium_401_says_the_paid_api_service_may_be_off_or_the_key_wrong():
    error = errors.AuthenticationError("Unauthorized", provider="Numery-Premium.PL", code=401)

    text = render(error, "en")

    assert "API service is off — it is a paid option" in text and "API key is wrong" in text
    assert "usługa API jest wyłączona — to płatna opcja" in render(error, "pl")


@pytest.mark.parametrize(
    "reason",
    [UnavailableReason.ERROR_STATUS, UnavailableReason.HTML_PAGE, UnavailableReason.UNREADABLE],
    ids=str,
)
def test_an_answer_that_came_is_not_called_no_answer_in_time(reason):
    error = errors.UnavailableError("x", provider="SPIKON", reason=reason, outcome_unknown=True)
    assert "did not answer in time" not in render(error, "en")
    assert "nie odpowiedział na czas" not in render(error, "pl")


def test_a_read_never_says_it_may_have_acted():
    read = errors.UnavailableError("no answer in time", provider="SPIKON", reason=UnavailableReason.TIMEOUT)

    text = render(read, "en")

    assert "Nothing was changed" in text and "outcome is unknown" not in text and "may have" not in text
