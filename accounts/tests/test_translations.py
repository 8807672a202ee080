"""Polish is the default language: every catalogue is complete and its compiled .mo is current."""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUES = sorted(
    path
    for path in Path(settings.BASE_DIR).glob("**/locale/pl/LC_MESSAGES/django.po")
    if ".venv" not in path.parts
)


def test_the_project_has_polish_catalogues():
    assert Path(settings.BASE_DIR) / "locale/pl/LC_MESSAGES/django.po" in CATALOGUES


@pytest.mark.parametrize("po", CATALOGUES, ids=[str(p.relative_to(settings.BASE_DIR)) for p in CATALOGUES])
def test_catalogue_is_complete_and_compiled(po, tmp_path):
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(compiled), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert po.with_suffix(".mo").read_bytes() == compiled.read_bytes(), f"run compilemessages for {po}"
