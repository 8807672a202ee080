from io import StringIO

from django.core.management import call_command

from accounts.models import Membership, Role, Tenant, User
from config.sandboxes import make_dispatcher


def test_setup_demo_creates_the_admin_once_and_the_demo_tenant(db):
    first = StringIO()
    call_command("setup_demo", "--sandbox-url", "http://127.0.0.1:9", stdout=first)
    assert "password:" in first.getvalue()
    admin = User.objects.get(username="admin")
    password = first.getvalue().split("password: ")[1].split()[0]
    assert admin.check_password(password) and admin.is_superuser

    second = StringIO()
    call_command("setup_demo", "--sandbox-url", "http://127.0.0.1:9", stdout=second)
    assert "password:" not in second.getvalue()
    assert User.objects.filter(username="admin").count() == 1
    tenant = Tenant.objects.get(slug="demo")
    assert Membership.objects.get(tenant=tenant, user=admin).role == Role.OWNER


def test_sandbox_dispatcher_routes_by_prefix():
    seen = {}

    def app(environ, start_response):
        seen.update(script=environ["SCRIPT_NAME"], path=environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"ok"]

    dispatch = make_dispatcher({"premium": app})
    statuses = []
    assert dispatch(
        {"PATH_INFO": "/premium/api/prm/voice/showNumbers", "SCRIPT_NAME": ""},
        lambda s, h: statuses.append(s),
    ) == [b"ok"]
    assert seen == {"script": "/premium", "path": "/api/prm/voice/showNumbers"}
    dispatch({"PATH_INFO": "/nothing/here"}, lambda s, h: statuses.append(s))
    assert statuses == ["200 OK", "404 Not Found"]
