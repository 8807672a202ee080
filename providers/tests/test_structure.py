"""The three provider apps have one shape (README, Layout): the same modules; clients free of Django;
no app importing another; no view calling a provider client. Read from the source (AST), not run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_APPS = ("premium", "spikon", "sms")
MODULES = ("client", "sync", "services", "models", "forms", "tasks", "urls", "schedules", "sandbox")
# Django apps of this project: a client may import none of them (nor Django itself).
DJANGO_PACKAGES = ("django", "accounts", "providers", "config", *PROVIDER_APPS)


def _sources(path: Path) -> list[Path]:
    """The app's Python files, its tests and migrations left out."""
    return [
        file
        for file in sorted(path.rglob("*.py"))
        if not {"tests", "migrations", "__pycache__"} & set(file.relative_to(ROOT).parts)
    ]


def _imported_modules(file: Path) -> set[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _top(module: str) -> str:
    return module.split(".")[0]


def _client_modules(app: str) -> list[Path]:
    single = ROOT / app / "client.py"
    return [single] if single.exists() else _sources(ROOT / app / "client")


@pytest.mark.parametrize("app", PROVIDER_APPS)
def test_every_provider_app_has_the_same_modules(app):
    base = ROOT / app
    missing = [
        name
        for name in MODULES
        if not (base / f"{name}.py").exists() and not (base / name / "__init__.py").exists()
    ]
    if not (base / "views" / "__init__.py").exists():
        missing.append("views/ (a package)")
    if not (base / "templates" / app / "base.html").exists():
        missing.append(f"templates/{app}/base.html")
    assert missing == [], f"{app} lacks {missing}"


@pytest.mark.parametrize("app", PROVIDER_APPS)
def test_every_app_base_template_extends_the_shared_page_shell(app):
    base = ROOT / app / "templates" / app / "base.html"
    assert base.exists() and '{% extends "providers/page.html" %}' in base.read_text(encoding="utf-8")


@pytest.mark.parametrize("app", PROVIDER_APPS)
def test_no_client_imports_django_or_a_django_app(app):
    offending = {
        f"{file.relative_to(ROOT)}: {module}"
        for file in _client_modules(app)
        for module in _imported_modules(file)
        if _top(module) in DJANGO_PACKAGES and not module.startswith(f"{app}.client")
    }
    assert offending == set()


@pytest.mark.parametrize("app", PROVIDER_APPS)
def test_no_provider_app_imports_another(app):
    # Nor the alerts app above them: it listens to their syncs and events, they never call it.
    others = set(PROVIDER_APPS) - {app} | {"alerts"}
    offending = {
        f"{file.relative_to(ROOT)}: {module}"
        for file in _sources(ROOT / app)
        for module in _imported_modules(file)
        if _top(module) in others
    }
    assert offending == set()


def _client_class_names(app: str) -> set[str]:
    names = set()
    for file in _client_modules(app):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        names.update(
            node.name for node in tree.body if isinstance(node, ast.ClassDef) and node.name.endswith("Client")
        )
    return names


@pytest.mark.parametrize("app", PROVIDER_APPS)
def test_no_view_calls_a_provider_client(app):
    """Views are HTTP only: a provider is called from services (writes) or sync (reads), never a view."""
    client_classes = _client_class_names(app)
    offending = set()
    single = ROOT / app / "views.py"
    for file in [single] if single.exists() else _sources(ROOT / app / "views"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = node.func
            if isinstance(called, ast.Attribute) and called.attr in ("client", "make_client"):
                offending.add(f"{file.relative_to(ROOT)}:{node.lineno} .{called.attr}()")
            elif isinstance(called, ast.Name) and called.id in client_classes:
                offending.add(f"{file.relative_to(ROOT)}:{node.lineno} {called.id}()")
    assert offending == set()


def test_the_api_imports_no_view_module():
    """The API and the pages share services, models and the shared core; a view module is HTTP for the
    pages only, so that what the API needs never lives there."""
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} - {"api"}
    offending = {
        f"{file.relative_to(ROOT)}: {module}"
        for file in _sources(ROOT / "api")
        for module in _imported_modules(file)
        if _top(module) in apps and "views" in module.split(".")[1:]
    }
    assert "premium" in apps and offending == set()
