import pytest

from premium.models import PremiumAccount
from sms.models import SerwerSmsAccount
from spikon.models import SpikonAccount


def test_a_tenants_account_is_read_whole_in_one_query(tenant, other_tenant, django_assert_num_queries):
    PremiumAccount.objects.create(
        tenant=other_tenant, email="other@example.com", api_key="others-secret-key-42"
    )
    stored = PremiumAccount.objects.create(
        tenant=tenant, email="ops@example.com", api_key="a-secret-api-key-1234", earning_shares={"6": "40.00"}
    )
    with django_assert_num_queries(1):
        account = PremiumAccount.of(tenant)
        assert account.tenant == tenant  # no second query for the tenant
    assert account.pk == stored.pk and account.email == "ops@example.com"
    assert account.api_key == "a-secret-api-key-1234"  # decrypted, as the ORM reads it
    assert account.earning_shares == {"6": "40.00"} and account.is_configured


@pytest.mark.parametrize("model", [PremiumAccount, SpikonAccount, SerwerSmsAccount])
def test_a_tenant_without_an_account_has_none_even_when_others_have_one(model, tenant, other_tenant):
    model.objects.create(tenant=other_tenant)
    assert model.of(tenant) is None
    assert model.of(other_tenant).tenant == other_tenant
