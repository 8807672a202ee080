"""Secrets at rest: the column holds only Fernet tokens, and key rotation keeps every secret readable."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, models

from accounts.fields import EncryptedTextField, secret_hint

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
SECRETS = ["api-key-0123456789abcdef", "zażółć-gęślą-jaźń-hasło", "x" * 500]


@pytest.fixture
def secret_model(transactional_db, settings):
    """A model with an encrypted field and its table, for as long as the test runs."""
    settings.ENCRYPTION_KEYS = [OLD_KEY]

    class SecretHolder(models.Model):
        label = models.CharField(max_length=20)
        secret = EncryptedTextField(blank=True)

        class Meta:
            app_label = "accounts"
            db_table = "test_secret_holder"

        def __str__(self) -> str:
            return self.label

    with connection.schema_editor() as editor:
        editor.create_model(SecretHolder)
    yield SecretHolder
    with connection.schema_editor() as editor:
        editor.delete_model(SecretHolder)
    del apps.all_models["accounts"]["secretholder"]
    apps.clear_cache()


def raw_column(model) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {model._meta.db_table} ORDER BY id")  # noqa: S608 - fixed name
        return [row[0] for row in cursor.fetchall()]


def test_the_column_holds_no_plaintext(secret_model):
    for i, secret in enumerate(SECRETS):
        secret_model.objects.create(label=str(i), secret=secret)
    stored = raw_column(secret_model)
    for secret, token in zip(SECRETS, stored, strict=True):
        assert secret not in token
        assert secret[:8] not in token
        assert Fernet(OLD_KEY).decrypt(token.encode()).decode() == secret
    assert [row.secret for row in secret_model.objects.order_by("id")] == SECRETS


def test_empty_means_not_set_and_is_stored_empty(secret_model):
    secret_model.objects.create(label="none", secret="")
    assert raw_column(secret_model) == [""]
    assert secret_model.objects.get().secret == ""


def test_rotation_re_encrypts_under_the_newest_key(secret_model, settings):
    for i, secret in enumerate(SECRETS):
        secret_model.objects.create(label=str(i), secret=secret)
    secret_model.objects.create(label="empty", secret="")

    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "accounts.SecretHolder: 3 rows re-encrypted" in out.getvalue()

    tokens = raw_column(secret_model)
    assert [Fernet(NEW_KEY).decrypt(t.encode()).decode() for t in tokens[:3]] == SECRETS
    assert tokens[3] == ""

    settings.ENCRYPTION_KEYS = [NEW_KEY]  # the old key is gone: everything still reads
    assert [row.secret for row in secret_model.objects.order_by("id")][:3] == SECRETS


def test_a_removed_key_is_a_clear_error_without_the_token(secret_model, settings):
    secret_model.objects.create(label="a", secret=SECRETS[0])
    token = raw_column(secret_model)[0]
    settings.ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(ImproperlyConfigured) as error:
        secret_model.objects.get()
    assert "ENCRYPTION_KEYS" in str(error.value)
    assert token not in str(error.value) and SECRETS[0] not in str(error.value)


def test_secret_hint_shows_at_most_the_last_four_characters():
    assert secret_hint("") == ""
    assert secret_hint("short") == "…"
    assert secret_hint("abcdefghijkl1234") == "…1234"
