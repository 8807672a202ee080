"""Restore a backup made by `backup`: the database and the media folder, then check the keys read the secrets."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts import backups


class Command(BaseCommand):
    help = (
        "Replace the database and the media folder with a backup's. Stop web, workers and beat first; "
        "ENCRYPTION_KEYS must hold the keys that were in use when the backup was made."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path, help="A folder written by the backup command.")
        parser.add_argument(
            "--noinput", action="store_false", dest="interactive", help="Do not ask to confirm."
        )

    def handle(self, *args, folder: Path, interactive: bool, **options) -> None:
        for name in (backups.DATABASE_DUMP, backups.MEDIA_ARCHIVE):
            if not (folder / name).is_file():
                raise CommandError(f"{folder} is not a backup: {name} is missing.")
        if interactive:
            answer = input("This replaces the database and every media file with the backup's. Type 'yes': ")
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        backups.restore_database(folder)
        files = backups.restore_media(folder)
        self.stdout.write(f"Database restored from {folder / backups.DATABASE_DUMP}")
        self.stdout.write(f"Media restored: {files} files")
        secrets = backups.read_sample_of_secrets()
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored; {secrets} stored secrets sampled, all read with the keys in ENCRYPTION_KEYS."
            )
        )
