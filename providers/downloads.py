"""Files fetched from a provider once and served to members: invoices of Numery-Premium and SerwerSMS."""

from __future__ import annotations

import re

from django.core.files import File
from django.db import models
from django.http import FileResponse

_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


def store_once(instance: models.Model, field_name: str, content: File, **fields) -> models.Model:
    """Store `content` in the instance's empty file field, with `fields`, and return the fresh row.

    No lock is held while the provider sends the file: if two members fetch it at once, the first stored
    file wins and the other copy is deleted.
    """
    field = type(instance)._meta.get_field(field_name)
    name = field.storage.save(field.generate_filename(instance, ""), content)
    stored = (
        type(instance)
        ._default_manager.filter(pk=instance.pk, **{field_name: ""})
        .update(**{field_name: name}, **fields)
    )
    if not stored:
        field.storage.delete(name)
    instance.refresh_from_db()
    return instance


def pdf_name(text: str, fallback: str) -> str:
    """A file name made of safe characters, ending in .pdf."""
    name = _UNSAFE.sub("-", text or fallback).strip("-.") or "invoice"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def attachment(stored: models.fields.files.FieldFile, filename: str, content_type: str) -> FileResponse:
    """A stored file as a download, never shown inline."""
    return FileResponse(stored.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
