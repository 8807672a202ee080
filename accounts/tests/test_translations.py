"""Polish is the default language: every catalogue is complete, its compiled .mo is current and its plurals
have the three Polish forms."""

import ast
import gettext
import re
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


# --- Polish plural forms -------------------------------------------------------------------------------------

# n -> the form Polish uses: 1 połączenie / 2-4 połączenia (not 12-14) / 5+ (and 12-14, 0) połączeń.
POLISH_FORMS = {
    1: 0,
    2: 1,
    3: 1,
    4: 1,
    22: 1,
    104: 1,
    0: 2,
    5: 2,
    11: 2,
    12: 2,
    14: 2,
    25: 2,
    112: 2,
    1001: 2,
}


def po_entries(po: Path) -> list[dict]:
    """The catalogue's entries (obsolete ones left out): msgctxt, msgid, msgid_plural, msgstr {index: text}."""
    entries, entry, field = [], None, None
    for number, line in enumerate([*po.read_text(encoding="utf-8").splitlines(), ""], start=1):
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry = None
            continue
        if line.startswith("#"):
            continue
        entry = entry or {"line": number, "msgstr": {}}
        keyword, _space, text = line.partition(" ")
        if line.startswith('"'):
            keyword, text = field, line
        value = ast.literal_eval(text)
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword != "msgstr" else 0
            entry["msgstr"][index] = entry["msgstr"].get(index, "") + value
        else:
            entry[keyword] = entry.get(keyword, "") + value
        field = keyword
    return entries


def plural_rule(po: Path):
    header = next(entry for entry in po_entries(po) if entry["msgid"] == "")["msgstr"][0]
    forms = re.search(r"Plural-Forms:\s*nplurals=(\d+);\s*plural=([^;]+);", header)
    assert forms, f"{po}: no Plural-Forms header"
    return int(forms.group(1)), gettext.c2py(forms.group(2))


@pytest.mark.parametrize("po", CATALOGUES, ids=[str(p.relative_to(settings.BASE_DIR)) for p in CATALOGUES])
def test_every_plural_has_the_three_polish_forms(po):
    nplurals, plural = plural_rule(po)
    assert nplurals == 3, f"{po}: Polish has 3 plural forms, the header says {nplurals}"
    assert {n: plural(n) for n in POLISH_FORMS} == POLISH_FORMS, f"{po}: the plural rule is not Polish"
    wrong = []
    for entry in po_entries(po):
        if "msgid_plural" not in entry:
            continue
        forms = entry["msgstr"]
        where = f"line {entry['line']} ({entry['msgid']!r})"
        if sorted(forms) != [0, 1, 2] or not all(forms.values()):
            wrong.append(f"{where}: the forms are {forms}")
        elif forms[0] == entry["msgid"] or forms[2] == entry["msgid_plural"]:
            wrong.append(f"{where}: a form is the English text")
    assert not wrong, f"{po}: " + "; ".join(wrong)


def test_the_plural_check_catches_a_missing_form(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && '
        '(n%100<10 || n%100>=20) ? 1 : 2);\\n"\n\n'
        'msgid "%(n)s call"\nmsgid_plural "%(n)s calls"\nmsgstr[0] "%(n)s połączenie"\n'
        'msgstr[1] "%(n)s połączenia"\nmsgstr[2] ""\n',
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="the forms are"):
        test_every_plural_has_the_three_polish_forms(po)
