"""Backups: a PostgreSQL dump and a tar of the media folder, and a check that the keys read the secrets.

A backup is a folder holding the two files below. The encryption keys are never in it: kept apart,
they are what makes the stored provider credentials of a backup readable (README, "Backup and restore").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.db import connection

from accounts.fields import EncryptedTextField

DATABASE_DUMP = "database.dump"
MEDIA_ARCHIVE = "media.tar.gz"


def run_postgres_tool(*args: str) -> None:
    """pg_dump or pg_restore on the configured database; its own error output becomes the command's error."""
    config = connection.settings_dict
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise CommandError(
            "Backups need PostgreSQL (DATABASE_URL=postgres://...); with SQLite, copy its file."
        )
    env = {
        **os.environ,
        "PGHOST": config.get("HOST") or "127.0.0.1",
        "PGPORT": str(config.get("PORT") or 5432),
        "PGUSER": config.get("USER") or "postgres",
        "PGPASSWORD": config.get("PASSWORD") or "",
        "PGDATABASE": config["NAME"],
    }
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise CommandError(
            f"{args[0]} is not installed (Debian: apt-get install postgresql-client)."
        ) from None
    if result.returncode != 0:
        raise CommandError(f"{args[0]} failed: {result.stderr.strip()}")


def dump_database(folder: Path) -> None:
    run_postgres_tool(
        "pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={folder / DATABASE_DUMP}"
    )


def restore_database(folder: Path) -> None:
    # Objects of the dump are dropped and made again, in one transaction: a failure leaves the database as it was.
    run_postgres_tool(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={connection.settings_dict['NAME']}",
        str(folder / DATABASE_DUMP),
    )


def archive_media(folder: Path) -> int:
    """Writes the media folder's files into the archive; returns how many."""
    media = Path(settings.MEDIA_ROOT)
    count = 0
    with tarfile.open(folder / MEDIA_ARCHIVE, "w:gz") as archive:
        for path in sorted(media.rglob("*")) if media.exists() else []:
            if path.is_file():
                archive.add(path, arcname=str(path.relative_to(media)), recursive=False)
                count += 1
    return count


def restore_media(folder: Path) -> int:
    """Makes the media folder hold exactly the archive's files; returns how many.

    The folder's contents are replaced, not the folder: it is often a mounted volume.
    """
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    for path in media.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    with tarfile.open(folder / MEDIA_ARCHIVE, "r:gz") as archive:
        members = [member for member in archive.getmembers() if member.isfile()]
        # The "data" filter refuses absolute paths, links out of the folder and special files.
        archive.extractall(media, members=members, filter="data")
    return len(members)


def read_sample_of_secrets(per_field: int = 20) -> int:
    """Decrypts up to `per_field` stored values of every encrypted field; returns how many were read.

    Raises CommandError, naming the field but never a value, if the keys in ENCRYPTION_KEYS cannot read one.
    """
    read = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            rows = model._default_manager.exclude(**{field.attname: ""}).order_by("-pk")
            try:
                read += sum(1 for _ in rows.values_list(field.attname, flat=True)[:per_field])
            except ImproperlyConfigured:
                raise CommandError(
                    f"The keys in ENCRYPTION_KEYS cannot read the stored {model._meta.label}.{field.name}: "
                    "set the keys that were in use when these secrets were stored."
                ) from None
    return read
