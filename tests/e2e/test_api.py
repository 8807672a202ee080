"""The API's pages in a real browser: an admin makes a token on the tokens page, and the interactive
documentation (Swagger UI from our static files) runs under the strict CSP and calls the API with it."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Role, Tenant
from api.models import ApiToken
from premium.models import PremiumNumber
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_of_a_tenant(django_user_model):
    tenant = Tenant.objects.create(slug="acme", name="Acme")
    user = django_user_model.objects.create_user("adam-admin", password="correct-horse-battery-9")
    Membership.objects.create(user=user, tenant=tenant, role=Role.ADMIN)
    PremiumNumber.objects.create(tenant=tenant, number="708123456", tariff=5)
    return tenant, user


def test_a_token_made_on_the_page_works_in_the_interactive_docs(live_server, watched_page, admin_of_a_tenant):
    tenant, user = admin_of_a_tenant
    page = watched_page
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/t/{tenant.slug}/api-tokens/")
    page.fill("input[name=name]", "docs")
    page.select_option("select[name=role]", str(Role.VIEWER.value))
    page.click("article button[type=submit]")
    token = page.locator("code.secret-once").inner_text()
    assert token.startswith("dsh_") and ApiToken.objects.filter(tenant=tenant).count() == 1

    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    page.click("button.authorize")
    page.fill(".auth-container input", token)
    page.click(".auth-btn-wrapper button.authorize")
    page.click(".btn-done")
    page.click(".opblock-get .opblock-summary-path[data-path='/api/v1/premium/numbers']")
    page.click("button.try-out__btn")
    page.click("button.execute")
    page.locator(".live-responses-table .response-col_status").first.wait_for()
    assert "708123456" in page.locator(".live-responses-table").inner_text()
    assert page.csp_violations() == []
    assert page.problems == []
