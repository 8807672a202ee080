"""The audit log reads as sentences: every action written anywhere has one, and the log shows no codes."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from accounts import audit
from accounts.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "tests", "migrations", "node_modules", "bench"}
ACTION_CODE = re.compile(r"^[a-z_]+(\.[a-z_-]+)+$")


def nbsp(text: str) -> str:
    """`text` with the no-break spaces inside phone numbers ("708 123 456")."""
    return re.sub(r"(?<=\d) (?=\d)", "\N{NO-BREAK SPACE}", text)


def _sources() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts) and not path.name.startswith("test_")
    ]


def _is_audit_record(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute) and func.attr == "record" and getattr(func.value, "id", "") == "audit"
    )


def _action_argument(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _wrappers(tree: ast.Module) -> dict[str, int]:
    """Functions that take an `action` and hand it to audit.record: name -> position of `action`."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            names = [arg.arg for arg in node.args.args]
            if "action" in names and any(
                isinstance(call, ast.Call)
                and _is_audit_record(call)
                and getattr(_action_argument(call, 2), "id", "") == "action"
                for call in ast.walk(node)
            ):
                found[node.name] = names.index("action")
    return found


def written_action_codes() -> dict[str, str]:
    """Every action code the code base writes to the audit log -> where (file:line)."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in _sources()}
    codes: dict[str, str] = {}
    unreadable = []
    # A public helper (providers.accounts.record_failure) is called from every app; a private one
    # (`_record_failure`) only in its own module, where another module may use the name for something else.
    shared = {
        name: at
        for tree in trees.values()
        for name, at in _wrappers(tree).items()
        if not name.startswith("_")
    }
    for path, tree in trees.items():
        wrappers = {**shared, **_wrappers(tree)}
        for function in [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]:
            parameters = {arg.arg for arg in function.args.args}
            for call in (node for node in ast.walk(function) if isinstance(node, ast.Call)):
                callee = (
                    call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                )
                if _is_audit_record(call):
                    argument = _action_argument(call, 2)
                elif callee in wrappers:
                    argument = _action_argument(call, wrappers[callee])
                else:
                    continue
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    codes[argument.value] = where
                elif isinstance(argument, ast.Name) and argument.id in parameters:
                    continue  # a wrapper passing its own `action` on: its callers are read instead
                elif isinstance(argument, ast.Name):
                    # A variable: the codes are the string literals assigned to it in this function.
                    assigned = [
                        constant.value
                        for node in ast.walk(function)
                        if isinstance(node, ast.Assign)
                        and any(getattr(target, "id", "") == argument.id for target in node.targets)
                        for constant in ast.walk(node.value)
                        if isinstance(constant, ast.Constant)
                        and isinstance(constant.value, str)
                        and ACTION_CODE.match(constant.value)
                    ]
                    if not assigned:
                        unreadable.append(where)
                    codes.update(dict.fromkeys(assigned, where))
                else:
                    unreadable.append(where)
    assert not unreadable, f"write these audit action codes as string literals: {unreadable}"
    return codes


def test_the_scan_finds_the_code_bases_actions():
    codes = written_action_codes()

    assert {"premium.redirect.set", "members.role", "spikon.agent.outgoing.remove", "sms.account"} <= set(
        codes
    )
    assert "premium.account.create" in codes  # assigned to a variable first


def test_every_action_written_anywhere_has_a_sentence():
    missing = {code: where for code, where in written_action_codes().items() if code not in audit.SENTENCES}

    assert not missing, f"add these actions' sentences to the app's audit_messages.py: {missing}"


def test_every_area_of_an_action_has_a_name():
    assert {code.split(".")[0] for code in audit.SENTENCES} <= set(audit.AREAS)


@pytest.mark.django_db
def test_a_redirect_change_reads_as_a_sentence_in_polish_and_english(tenant, owner):
    event = audit.record(
        tenant,
        owner,
        "premium.redirect.set",
        object_label="708123456",
        changes={"redirect": ("601123456", "602000111"), "announcement": (False, True)},
    )

    with translation.override("pl"):
        assert audit.sentence(event) == nbsp(
            "Zmieniono przekierowanie numeru 708 123 456 z 601 123 456 na 602 000 111."
        )
        assert ("zapowiedź", "nie", "tak") in audit.shown_changes(event)
    with translation.override("en"):
        assert audit.sentence(event) == nbsp(
            "Changed the redirect of number 708 123 456 from 601 123 456 to 602 000 111."
        )


@pytest.mark.django_db
def test_amounts_in_changes_read_as_money_in_the_viewers_language(tenant, owner):
    bought = audit.record(
        tenant, owner, "premium.number.buy", object_label="708123456", changes={"wallet": (None, Decimal("1234.5"))}
    )
    older = audit.record(
        tenant, owner, "spikon.tts.generate", object_label="Powitanie", changes={"price gross": (None, "1.85 zł")}
    )

    with translation.override("pl"):
        assert audit.shown_changes(bought)[0][2] == "1\N{NO-BREAK SPACE}234,50\N{NO-BREAK SPACE}zł"
        assert audit.shown_changes(older)[0][2] == "1,85\N{NO-BREAK SPACE}zł"
    with translation.override("en"):
        assert audit.shown_changes(bought)[0][2] == "1,234.50\N{NO-BREAK SPACE}zł"


@pytest.mark.django_db
def test_a_failure_says_what_could_not_be_done(tenant, owner):
    event = audit.record(
        tenant, owner, "premium.number.delete", object_label="708123456", outcome=AuditEvent.Outcome.FAILURE
    )

    with translation.override("en"):
        assert audit.sentence(event) == nbsp("Could not delete number 708 123 456.")


@pytest.mark.django_db
def test_an_action_without_a_sentence_still_reads_without_its_code(tenant, owner):
    event = audit.record(tenant, owner, "future.thing.done", object_label="X")

    with translation.override("en"):
        assert audit.sentence(event) == "A change to X."


@pytest.mark.django_db
def test_the_audit_log_shows_no_codes_no_python_values_and_links_people_and_objects(
    login, tenant, owner, operator
):
    audit.record(tenant, owner, "members.add", object_label="anna", changes={"role": (None, "operator")})
    audit.record(
        tenant,
        owner,
        "spikon.history.order",
        object_type="spikon.callhistoryreport",
        object_id="41",
        object_label="2026-11-01 – 2026-11-30",
        changes={"recordings only": (None, False), "campaigns": (None, ["Infolinia", "Sprzedaż"])},
    )
    page = login(operator).get(reverse("audit-log", kwargs={"tenant_slug": tenant.slug})).text

    assert "Dodano użytkownika anna z rolą: operator." in page
    assert "Infolinia, Sprzedaż" in page
    for code in ("members.add", "spikon.history.order", "True", "False", "None", "['"):
        assert code not in page
    assert reverse("spikon:history-report", kwargs={"tenant_slug": tenant.slug, "report_id": 41}) in page
    assert f"?user={owner.username}" in page


@pytest.mark.django_db
def test_the_audit_log_filters_by_object(login, tenant, owner, operator):
    audit.record(
        tenant,
        owner,
        "spikon.phonebook.add",
        object_type="spikon.phonebook",
        object_id="7",
        object_label="Klienci",
    )
    audit.record(
        tenant,
        owner,
        "spikon.phonebook.add",
        object_type="spikon.phonebook",
        object_id="8",
        object_label="Dostawcy",
    )
    url = reverse("audit-log", kwargs={"tenant_slug": tenant.slug})

    page = login(operator).get(url, {"object": "spikon.phonebook:7"}).text

    assert "Klienci" in page and "Dostawcy" not in page
