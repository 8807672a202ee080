"""Files fetched from a provider once and served to members: invoices of Numery-Premium and SerwerSMS,
SPIKON's recordings and announcements' audio (to the pages and to the API alike)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import models
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from accounts.media_checks import file_audio_type

_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")
_BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_CHUNK = 64 * 1024


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


def serve_audio(request: HttpRequest, name: str, filename: str) -> HttpResponse | None:
    """Stream a stored audio file, with byte ranges so that a player can seek; `?download=1` makes it an
    attachment. None when the file is not in storage, or is not MP3 or WAV audio (it is never served)."""
    try:
        size = default_storage.size(name)
        handle = default_storage.open(name, "rb")
    except OSError:
        return None
    content_type = file_audio_type(handle)
    if content_type is None:
        handle.close()
        return None
    download = request.GET.get("download") == "1"
    match = _BYTE_RANGE.fullmatch(request.headers.get("Range", "").strip())
    if match and not download and any(match.groups()):
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:
            start, end = max(size - int(last), 0), size - 1
        if start >= size or end < start:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle.seek(start)
        response = StreamingHttpResponse(
            _read(handle, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Disposition"] = content_disposition_header(False, filename)
        response["Content-Length"] = str(end - start + 1)
    else:
        response = FileResponse(handle, content_type=content_type, as_attachment=download, filename=filename)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _read(handle: BinaryIO, length: int) -> Iterator[bytes]:
    with handle:
        while length > 0:
            chunk = handle.read(min(_CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
