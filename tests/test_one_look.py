"""One look on every page: a back link is the breadcrumb above the title (as SPIKON's pages have it), not an
arrow link in a paragraph."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARROW_BACK_LINK = re.compile(r'<p><a href="[^"]+">← ')


def test_back_links_are_breadcrumbs():
    templates = [path for path in ROOT.rglob("templates/**/*.html") if ".venv" not in path.parts]
    assert len(templates) > 50
    arrows = [str(path.relative_to(ROOT)) for path in templates if ARROW_BACK_LINK.search(path.read_text())]
    assert arrows == []
