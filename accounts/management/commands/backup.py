"""Back up the database and the media folder into a new folder, and check the keys read the secrets."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts import backups


class Command(BaseCommand):
    help = (
        "Write a backup into a new folder: the PostgreSQL dump and a tar of the media. "
        "Keep ENCRYPTION_KEYS apart: without them the stored credentials are unreadable."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path, help="A folder that does not exist yet, or is empty.")

    def handle(self, *args, folder: Path, **options) -> None:
        if folder.exists() and any(folder.iterdir()):
            raise CommandError(f"{folder} is not empty: give a new folder for each backup.")
        folder.mkdir(parents=True, exist_ok=True)
        backups.dump_database(folder)
        files = backups.archive_media(folder)
        self.stdout.write(f"Database: {folder / backups.DATABASE_DUMP}")
        self.stdout.write(f"Media: {folder / backups.MEDIA_ARCHIVE} ({files} files)")
        secrets = backups.read_sample_of_secrets()
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written; {secrets} stored secrets sampled, all read with the keys in ENCRYPTION_KEYS. "
                "Keep those keys, apart from this backup."
            )
        )
