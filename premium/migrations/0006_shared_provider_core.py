"""The shared provider core (providers app): the account follows ProviderAccount, a full statement is a
PolledJob (so that the one sweeper recovers it), and the used purchase confirmations become act-once
records (providers.ActionRecord) that outlive the numbers they bought."""

from datetime import timedelta

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

STATEMENT_CLAIM_LEASE = timedelta(minutes=15)


def statements_to_jobs(apps, schema_editor):
    """Each statement's state as the PolledJob fields say it: queued ones are due now, one being made is
    held by its worker until its lease runs out, ready and failed ones are final."""
    Statement = apps.get_model("premium", "Statement")
    now = django.utils.timezone.now()
    Statement.objects.filter(state="queued").update(poll_status="waiting", next_poll_at=now)
    for statement in Statement.objects.filter(state="rendering"):
        began = statement.started_at or now
        statement.poll_status = "polling"
        statement.attempts = 1
        statement.last_polled_at = began
        statement.claimed_until = began + STATEMENT_CLAIM_LEASE
        statement.next_poll_at = None
        statement.save(update_fields=["poll_status", "attempts", "last_polled_at", "claimed_until", "next_poll_at"])
    Statement.objects.filter(state="ready").update(poll_status="finished", next_poll_at=None)
    Statement.objects.filter(state="failed").update(poll_status="failed", next_poll_at=None)


def jobs_to_statements(apps, schema_editor):
    Statement = apps.get_model("premium", "Statement")
    for statement in Statement.objects.filter(poll_status="polling"):
        statement.started_at = statement.last_polled_at
        statement.save(update_fields=["started_at"])


def used_tokens_to_action_records(apps, schema_editor):
    """A used confirmation stays used: its record is an act-once record of a purchase whose outcome the old
    table did not keep ("unknown": the numbers list and the wallet say what it bought)."""
    UsedPurchaseToken = apps.get_model("premium", "UsedPurchaseToken")
    ActionRecord = apps.get_model("providers", "ActionRecord")
    ActionRecord.objects.bulk_create(
        [
            ActionRecord(
                tenant_id=used.tenant_id,
                key=used.token,
                kind="premium.number.buy",
                created_at=used.used_at,
                state="unknown",
                outcome={},
                settled_at=used.used_at,
            )
            for used in UsedPurchaseToken.objects.iterator()
        ],
        ignore_conflicts=True,
    )


def action_records_to_used_tokens(apps, schema_editor):
    UsedPurchaseToken = apps.get_model("premium", "UsedPurchaseToken")
    ActionRecord = apps.get_model("providers", "ActionRecord")
    UsedPurchaseToken.objects.bulk_create(
        [
            UsedPurchaseToken(tenant_id=record.tenant_id, token=record.key, used_at=record.created_at)
            for record in ActionRecord.objects.filter(kind="premium.number.buy").iterator()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_sync_failure_unreachable"),
        ("premium", "0005_statement"),
        ("providers", "0001_action_record"),
    ]

    operations = [
        migrations.AlterField(
            model_name="premiumaccount",
            name="base_url",
            field=models.URLField(
                blank=True,
                help_text="Empty: the provider's official address. Set it only to point the account at a sandbox.",
                verbose_name="API address",
            ),
        ),
        migrations.AlterField(
            model_name="premiumaccount",
            name="tenant",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="%(app_label)s_account", to="accounts.tenant"
            ),
        ),
        # Full statements become PolledJobs.
        migrations.RemoveIndex(model_name="statement", name="premium_statement_recent"),
        migrations.RenameField(model_name="statement", old_name="requested_at", new_name="created_at"),
        migrations.AlterField(
            model_name="statement",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.RenameField(model_name="statement", old_name="error", new_name="last_error"),
        migrations.AlterField(
            model_name="statement",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="last error"),
        ),
        migrations.AlterField(
            model_name="statement",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="finished"),
        ),
        migrations.AddField(
            model_name="statement",
            name="poll_status",
            field=models.CharField(
                choices=[
                    ("waiting", "waiting for the next check"),
                    ("polling", "being checked"),
                    ("finished", "finished"),
                    ("failed", "failed"),
                ],
                default="waiting",
                max_length=8,
                verbose_name="checking",
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="attempts",
            field=models.PositiveIntegerField(default=0, verbose_name="checks made"),
        ),
        migrations.AddField(
            model_name="statement",
            name="next_poll_at",
            field=models.DateTimeField(
                blank=True, default=django.utils.timezone.now, null=True, verbose_name="next check"
            ),
        ),
        migrations.AddField(
            model_name="statement",
            name="claimed_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="statement",
            name="last_polled_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last checked"),
        ),
        migrations.RunPython(statements_to_jobs, jobs_to_statements),
        migrations.RemoveField(model_name="statement", name="started_at"),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["poll_status", "next_poll_at"], name="premium_statement_due"),
        ),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["tenant", "created_at"], name="premium_statement_recent"),
        ),
        # Used purchase confirmations become act-once records.
        migrations.RunPython(used_tokens_to_action_records, action_records_to_used_tokens),
        migrations.DeleteModel(name="UsedPurchaseToken"),
    ]
