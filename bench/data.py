"""The bench data set: one tenant at the scale of a large operator, generated once and reused.

    tenant "bench": 1,000 premium numbers, 10,000,000 billing calls over the last 24 months (the current
    month up to now), 1,000,000 audit events, and the SPIKON copy (see bench.spikon_data).

Rows are made by PostgreSQL itself (INSERT ... SELECT over generate_series), so nothing large passes
through Python; the large tables get their indexes built after the rows are in (without_indexes), which
is several times faster than keeping them up row by row. Each part is checked by counting its rows; a
part with the wrong count is deleted and made again.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bench.environment import DATABASE_URL

TENANT_SLUG = "bench"
OPERATOR = "bench-operator"
NUMBERS = 1_000
CALLS = 10_000_000
MONTHS = 24
AUDIT_EVENTS = 1_000_000
WARSAW = ZoneInfo("Europe/Warsaw")


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def ensure_database() -> None:
    """Create the bench database when it does not exist (connecting to the server's `postgres`)."""
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            say(f"creating database {name}")
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextmanager
def without_indexes(table: str) -> Iterator[None]:
    """Drop a table's secondary indexes and unique constraints, then build them again on leaving.

    One transaction: on an error the table is as it was. The primary key stays (a serial fills it in order).
    """
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype = 'u'
            """,
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT index.relname, pg_get_indexdef(index.oid) FROM pg_index
            JOIN pg_class index ON index.oid = pg_index.indexrelid
            WHERE pg_index.indrelid = %s::regclass AND NOT pg_index.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = index.oid)
            """,
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        yield
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign key checks, before ALTER TABLE
        say(f"building {len(constraints) + len(indexes)} indexes of {table}")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cursor.execute(definition)


def month_bounds(year: int, month: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The first and the last second of a provider month (Europe/Warsaw), or now if sooner."""
    start = datetime(year, month, 1, tzinfo=WARSAW)
    end = datetime(year, month, calendar.monthrange(year, month)[1], 23, 59, 59, tzinfo=WARSAW)
    return start.astimezone(UTC), min(end, now or end).astimezone(UTC)


def billing_months(now: datetime) -> list[tuple[datetime, datetime]]:
    """The last MONTHS provider months, oldest first; the current one ends now."""
    local = now.astimezone(WARSAW)
    year, month = local.year, local.month
    months = []
    for _ in range(MONTHS):
        months.append(month_bounds(year, month, now))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def ensure_tenant():
    """The bench tenant, its operator and its Numery-Premium.PL account."""
    from accounts.models import Membership, Role, Tenant, User
    from premium.models import PremiumAccount

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG, defaults={"name": "Bench Telecom Sp. z o.o."})
    user, created = User.objects.get_or_create(username=OPERATOR)
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.OPERATOR})
    # Pages only read the local copy: the key is never used, and the address is loopback that refuses.
    PremiumAccount.objects.update_or_create(
        tenant=tenant,
        defaults={
            "email": "bench@example.com",
            "api_key": "bench-not-a-real-key",
            "base_url": "http://127.0.0.1:9",
        },
    )
    return tenant, user


def _ensure_numbers(tenant) -> bool:
    from premium.models import PremiumNumber

    if PremiumNumber.objects.filter(tenant=tenant).count() == NUMBERS:
        return False
    say(f"making {NUMBERS:,} premium numbers")
    PremiumNumber.objects.filter(tenant=tenant).delete()
    now = datetime.now(UTC)
    rows = []
    for index in range(NUMBERS):
        tariff = 4 + index % 5
        rows.append(
            PremiumNumber(
                tenant=tenant,
                number=f"70{tariff}{index:06d}",
                tariff=tariff,
                price_net=(2 + tariff * 0.5),
                vat_percent=23,
                redirect_setting=f"number=60{index:07d}",
                redirect_to=f"60{index:07d}",
                synced_at=now,
            )
        )
    PremiumNumber.objects.bulk_create(rows, batch_size=1000)
    return True


CALLS_SQL = """
WITH months(idx, first_at, span_seconds) AS (
    SELECT * FROM unnest(%(month_index)s::int[], %(month_start)s::timestamptz[], %(month_span)s::float8[])
),
numbers AS (
    SELECT (row_number() OVER (ORDER BY number) - 1)::int AS idx, number, redirect_to
    FROM premium_premiumnumber WHERE tenant_id = %(tenant)s
),
raw AS (
    SELECT g, g %% %(months)s AS month_idx, floor(random() * %(numbers)s)::int AS number_idx,
           random() AS at, random() AS who, random() AS state, random() AS talk, 3 + floor(random() * 25)::int AS ring
    FROM generate_series(1, %(calls)s) AS g
),
shaped AS (
    SELECT raw.*, numbers.number, numbers.redirect_to,
           months.first_at + make_interval(secs => floor(raw.at * months.span_seconds)) AS started_at,
           CASE WHEN raw.state < 0.80 THEN 'ANSWERED' WHEN raw.state < 0.92 THEN 'NO ANSWER'
                WHEN raw.state < 0.97 THEN 'BUSY' ELSE 'FAILED' END AS disposition
    FROM raw JOIN numbers ON numbers.idx = raw.number_idx JOIN months ON months.idx = raw.month_idx
),
billed AS (
    SELECT shaped.*,
           CASE WHEN disposition = 'ANSWERED' THEN least(3600, 5 + floor(-240 * ln(1 - talk))::int) ELSE 0 END
               AS billsec
    FROM shaped
)
INSERT INTO premium_call (tenant_id, call_id, number, caller, redirected_to, started_at, answered_at,
                          ended_at, duration, billed_seconds, disposition, redirect_cost)
SELECT %(tenant)s, g, number, '6' || lpad(floor(who * 50000)::int::text, 8, '0'), redirect_to, started_at,
       CASE WHEN disposition = 'ANSWERED' THEN started_at + make_interval(secs => ring) END,
       started_at + make_interval(secs => ring + billsec), ring + billsec, billsec, disposition,
       round((billsec * 10 + 30) / 60) / 100.0
FROM billed
ORDER BY started_at  -- as syncs store them: month by month, in the provider's order
"""


def _ensure_calls(tenant) -> bool:
    from django.db import connection

    from premium.models import Call

    if Call.objects.filter(tenant=tenant).count() == CALLS:
        return False
    say(f"making {CALLS:,} billing calls over {MONTHS} months (about a quarter of an hour)")
    Call.objects.filter(tenant=tenant).delete()
    months = billing_months(datetime.now(UTC))
    with without_indexes("premium_call"), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.7)")
        cursor.execute(
            CALLS_SQL,
            {
                "tenant": tenant.pk,
                "calls": CALLS,
                "months": MONTHS,
                "numbers": NUMBERS,
                "month_index": list(range(MONTHS)),
                "month_start": [start for start, _end in months],
                "month_span": [(end - start).total_seconds() for start, end in months],
            },
        )
    count_totals(tenant)
    return True


def count_totals(tenant) -> None:
    """The billing totals of calls made here by SQL (a sync keeps them itself)."""
    from premium import totals
    from premium.models import MonthNumberOverall, MonthNumberTotal

    MonthNumberTotal.objects.filter(tenant=tenant).delete()
    MonthNumberOverall.objects.filter(tenant=tenant).delete()
    totals.rebuild_all(tenant.pk)


AUDIT_SQL = """
INSERT INTO accounts_auditevent (tenant_id, user_id, username, created_at, action, object_type, object_id,
                                 object_label, changes, outcome, message)
SELECT %(tenant)s, %(user)s, %(username)s, now() - make_interval(secs => floor(random() * 730 * 86400)),
       (ARRAY['premium.redirect.set', 'spikon.phonebook.entry.add', 'spikon.sms.send', 'sms.limit.set'])
           [1 + floor(random() * 4)::int],
       'premium.premiumnumber', g::text, '70' || lpad((g %% 1000)::text, 7, '0'),
       jsonb_build_object('redirect', jsonb_build_array('601000001', '601000002')),
       CASE WHEN random() < 0.95 THEN 'success' ELSE 'failure' END, ''
FROM generate_series(1, %(events)s) AS g
"""


def _ensure_audit(tenant, user) -> bool:
    from django.db import connection

    from accounts.models import AuditEvent

    if AuditEvent.objects.filter(tenant=tenant).count() == AUDIT_EVENTS:
        return False
    say(f"making {AUDIT_EVENTS:,} audit events")
    AuditEvent.objects.filter(tenant=tenant).delete()
    with without_indexes("accounts_auditevent"), connection.cursor() as cursor:
        cursor.execute(
            AUDIT_SQL,
            {"tenant": tenant.pk, "user": user.pk, "username": user.username, "events": AUDIT_EVENTS},
        )
    return True


def _vacuum() -> None:
    """Fresh statistics and visibility maps: the planner sees the table sizes, index-only scans work."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def ensure_data() -> tuple:
    """Migrate the bench database and make whatever part of the data set is missing; returns (tenant, user)."""
    from django.core.management import call_command

    from bench import spikon_data

    call_command("migrate", "--noinput", verbosity=0)
    tenant, user = ensure_tenant()
    made = [
        _ensure_numbers(tenant),
        _ensure_calls(tenant),
        _ensure_audit(tenant, user),
        spikon_data.ensure(tenant),
    ]
    if any(made):
        say("VACUUM ANALYZE")
        _vacuum()
    return tenant, user
