"""Re-encrypt every stored secret under the newest key of ENCRYPTION_KEYS.

Put the new key first in ENCRYPTION_KEYS (keeping the old ones), run this command, then the old
keys can be removed.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.fields import EncryptedTextField

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt every secret under the newest key of ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            names = [f.attname for f in fields]
            count = 0
            last_pk = None
            while True:
                with transaction.atomic():
                    rows = model._default_manager.select_for_update().order_by("pk")
                    if last_pk is not None:
                        rows = rows.filter(pk__gt=last_pk)
                    batch = list(rows.values("pk", *names)[:BATCH])
                    for row in batch:
                        # Reading decrypts with whichever key fits; saving encrypts with the newest.
                        values = {name: row[name] for name in names if row[name]}
                        if values:
                            model._default_manager.filter(pk=row["pk"]).update(**values)
                            count += 1
                if len(batch) < BATCH:
                    break
                last_pk = batch[-1]["pk"]
            total += count
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} rows re-encrypted under the newest key."))
