"""One redaction for every text that comes from a provider before it is shown, logged, stored or audited.

Django-free: the clients use it for their error texts, the apps for anything else a provider said.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
# A provider that echoes part of a key ("invalid key abc123…") must not show that part either.
RUN_LENGTH = 6
# A secret shorter than this is masked only whole (a short value is too likely to be ordinary text).
SHORTEST_SECRET = 4


def redact(text: str, secrets: Iterable[str], *, extra: Iterable[str] = ()) -> str:
    """`text` with every secret (and every `extra` text, e.g. a just-chosen password) masked: the whole
    value, and every run of RUN_LENGTH or more of its consecutive characters."""
    values = [value for value in (*secrets, *extra) if value and len(value) >= SHORTEST_SECRET]
    if not text or not values:
        return text
    covered = bytearray(len(text))
    for value in values:
        pieces = (
            {value}
            if len(value) <= RUN_LENGTH
            else {value[start : start + RUN_LENGTH] for start in range(len(value) - RUN_LENGTH + 1)}
        )
        # A lookahead finds every position, overlapping ones included.
        pattern = re.compile("(?=(" + "|".join(re.escape(piece) for piece in pieces) + "))")
        for match in pattern.finditer(text):
            start, end = match.start(1), match.end(1)
            covered[start:end] = b"\x01" * (end - start)
    parts: list[str] = []
    masking = False
    for char, hidden in zip(text, covered, strict=True):
        if hidden:
            if not masking:
                parts.append(MASK)
            masking = True
        else:
            parts.append(char)
            masking = False
    return "".join(parts)
