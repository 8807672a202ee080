"""Objects the role-matrix test needs for the API token URLs that take an id (a fresh one per call)."""

from accounts.models import Role, Tenant
from api.models import ApiToken


def a_token(tenant: Tenant) -> dict[str, int]:
    token, _text = ApiToken.issue(tenant=tenant, name="matrix", role=Role.VIEWER, created_by=None)
    return {"token_id": token.pk}


OBJECTS = {"api:token-revoke": a_token}
