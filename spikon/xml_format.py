"""SPIKON's XML answers (`api_format=1`), read into the same shapes as its JSON answers.

The server writes XML the way Ruby on Rails' `to_xml` does (document, e.g. 4.5.2 and 4.6.1):
`type="integer"` and `type="boolean"` on typed values, `type="array"` on lists, `nil="true"` on empty
values. `parse_xml` turns a document into dicts, lists, strings, ints and bools, so that the client reads
both formats with one set of rules.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from xml.parsers import expat


class XmlFormatError(ValueError):
    """The body is not a readable XML answer (malformed, or carrying a DOCTYPE)."""


def parse_xml(content: bytes) -> dict[str, object]:
    """`<root>...</root>` becomes `{"root": ...}`, like the JSON answer's top-level object."""
    _refuse_doctype(content)
    try:
        root = ET.fromstring(content)  # noqa: S314 - _refuse_doctype ruled out entity declarations
    except ET.ParseError as exc:
        raise XmlFormatError(f"malformed XML: {exc}") from None
    return {root.tag: _value(root)}


def _refuse_doctype(content: bytes) -> None:
    """Entities can only be declared in a DOCTYPE, so refusing it rules out entity-expansion attacks.

    A first pass with expat sees the DOCTYPE whatever the document's encoding, before any entity is
    expanded; SPIKON's answers never carry one.
    """
    parser = expat.ParserCreate()

    def refuse(*_args: object) -> None:
        raise XmlFormatError("XML with a DOCTYPE is refused")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise XmlFormatError(f"malformed XML: {exc}") from None


def _value(element: ET.Element) -> object:
    if element.get("nil") == "true":
        return None
    kind = element.get("type")
    children = list(element)
    if kind == "array":
        return [_value(child) for child in children]
    if children:
        # Repeated elements without type="array" are still a list.
        repeated: dict[str, list[object]] = {
            tag: [] for tag, count in Counter(child.tag for child in children).items() if count > 1
        }
        result: dict[str, object] = {}
        for child in children:
            if child.tag in repeated:
                repeated[child.tag].append(_value(child))
                result[child.tag] = repeated[child.tag]
            else:
                result[child.tag] = _value(child)
        return result
    text = (element.text or "").strip()  # the document's own examples pad values: "<state> OK </state>"
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise XmlFormatError(f"<{element.tag}> is not an integer: {text[:40]!r}") from None
    if kind == "boolean":
        if text not in ("true", "false", "1", "0"):
            raise XmlFormatError(f"<{element.tag}> is not a boolean: {text[:40]!r}")
        return text in ("true", "1")
    return text
