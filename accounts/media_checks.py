"""What a stored file really is, read from its first bytes, and what it may be served as (no Django here).

A provider's "recording" may be anything its server sends - an HTML page included. Files are stored
and served only when their content is MP3 or WAV, and served with the type the content has, never
the type the provider claimed.
"""

from __future__ import annotations

from typing import BinaryIO

# Enough for an ID3v2 tag's header and the first frame header after a short tag, or a WAV header.
HEAD_BYTES = 64 * 1024
MP3, WAV = "audio/mpeg", "audio/wav"


def _is_mpeg_frame_header(header: bytes) -> bool:
    """Frame sync, then a version, layer, bitrate and sample rate that exist (ISO 11172-3 / 13818-3)."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version, layer = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate_index not in (0, 15) and rate_index != 3


def _id3_tag_size(head: bytes) -> int | None:
    """The whole length of the ID3v2 tag that `head` starts with, or None if it is not a valid one."""
    if len(head) < 10 or not head.startswith(b"ID3") or head[3] not in (2, 3, 4) or head[4] == 0xFF:
        return None
    size_bytes = head[6:10]
    if any(byte & 0x80 for byte in size_bytes):  # "synchsafe": seven bits a byte
        return None
    size = 0
    for byte in size_bytes:
        size = (size << 7) | byte
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def audio_type(head: bytes) -> str | None:
    """MP3 or WAV by the content's first bytes (at least the first HEAD_BYTES when there are that many);
    None for anything else."""
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE" and head[12:16] in (b"fmt ", b"JUNK", b"LIST"):
        return WAV
    tag_size = _id3_tag_size(head)
    if tag_size is not None:
        # A tag followed by a frame; a tag longer than the head read is taken on its word.
        return MP3 if tag_size >= len(head) or _is_mpeg_frame_header(head[tag_size : tag_size + 4]) else None
    if _is_mpeg_frame_header(head[:4]):
        return MP3
    return None


def file_audio_type(handle: BinaryIO) -> str | None:
    """`audio_type` of an open binary file, read from its start; the file is left at its start."""
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    handle.seek(0)
    return audio_type(head)


# Types a downloaded document may be served as; anything else a provider claims goes as plain bytes.
DOCUMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "application/zip", "text/csv"})


def download_type(claimed: str) -> str:
    """The Content-Type to serve a provider's document with: its claimed type if harmless, else bytes."""
    media_type = claimed.split(";", 1)[0].strip().lower()
    return media_type if media_type in DOCUMENT_TYPES else "application/octet-stream"
