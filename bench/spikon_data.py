"""The SPIKON part of the bench data set, and the SPIKON pages the bench measures.

    2,000,000 call history rows over 24 months (a tenth with a recording), one phonebook of 50,000 entries,
    100,000 SMS messages (one submission each, delivered or not) over 24 months.

Made by PostgreSQL (INSERT ... SELECT over generate_series), like the billing calls (bench.data).
"""

from __future__ import annotations

CALLS = 2_000_000
PHONEBOOK_ENTRIES = 50_000
SMS_MESSAGES = 100_000
BOOK_PROVIDER_ID = 1
BOOK_NAME = "Klienci"

CALLS_SQL = """
INSERT INTO spikon_callrecord (public_id, tenant_id, started_at, source, destination, duration_seconds, state,
                               direction, has_recording, recording_url, recording_file_name, recording_audio,
                               recording_content_type, stored_at)
SELECT gen_random_uuid(), %(tenant)s, at, source, destination, duration, state, direction, recorded,
       CASE WHEN recorded THEN 'https://panel.spikon.pl/recordings/' || g || '.mp3' ELSE '' END, '', '', '', now()
FROM (
    SELECT g, now() - make_interval(secs => (%(calls)s - g) * (730 * 86400.0 / %(calls)s)) AS at,
           CASE WHEN g %% 2 = 0 THEN '22' || lpad((g %% 400)::text, 7, '0') ELSE '6' || lpad((g * 7919 %% 50000)::text, 8, '0') END AS source,
           CASE WHEN g %% 2 = 0 THEN '6' || lpad((g * 7919 %% 50000)::text, 8, '0') ELSE '22' || lpad((g %% 400)::text, 7, '0') END AS destination,
           floor(random() * 600)::int AS duration,
           (ARRAY['ANSWERED', 'ANSWERED', 'ANSWERED', 'NO ANSWER', 'BUSY'])[1 + floor(random() * 5)::int] AS state,
           (g %% 2) AS direction, random() < 0.1 AS recorded
    FROM generate_series(1, %(calls)s::bigint) AS g
) AS calls
"""

ENTRIES_SQL = """
INSERT INTO spikon_phonebookentry (tenant_id, book_id, provider_id, name, number, created_at)
SELECT %(tenant)s, %(book)s, g, 'Klient ' || lpad(g::text, 5, '0'), '6' || lpad((g * 104729 %% 100000000)::text, 8, '0'), now()
FROM generate_series(1, %(entries)s::bigint) AS g
"""

SMS_SQL = """
WITH batches AS (
    INSERT INTO spikon_smsbatch (tenant_id, user_id, username, sender, text, created_at)
    SELECT %(tenant)s, %(user)s, %(username)s, 'INFO',
           'Przypominamy o wizycie ' || g || '. Odpowiedz TAK, aby potwierdzić.',
           now() - make_interval(secs => (%(messages)s - g) * (730 * 86400.0 / %(messages)s))
    FROM generate_series(1, %(messages)s) AS g
    RETURNING id, created_at
)
INSERT INTO spikon_smsmessage (poll_status, attempts, next_poll_at, claimed_until, last_polled_at, last_error,
                               created_at, finished_at, tenant_id, batch_id, recipient, recipient_name,
                               send_status, provider_id, delivery, delivery_error, sent_at)
SELECT 'finished', 3, NULL, NULL, created_at + interval '20 seconds', '', created_at,
       created_at + interval '20 seconds', %(tenant)s, id, '6' || lpad((id * 7919 %% 100000000)::text, 8, '0'),
       '', 'accepted', 9000000 + id, CASE WHEN id %% 20 = 0 THEN 3 ELSE 5 END, '', created_at
FROM batches
"""


def ensure(tenant) -> bool:
    """Make whatever SPIKON part is missing; True when something was made."""
    from django.db import connection

    from accounts.models import User
    from bench.data import OPERATOR, say, without_indexes
    from spikon.models import CallRecord, PhoneBook, PhoneBookEntry, SmsBatch, SmsMessage, SpikonAccount

    made = False
    # Pages only read the local copy: the key is never used, and the address is loopback that refuses.
    SpikonAccount.objects.get_or_create(
        tenant=tenant, defaults={"api_key": "bench-not-a-real-key", "base_url": "http://127.0.0.1:9"}
    )
    book, _ = PhoneBook.objects.get_or_create(
        tenant=tenant, provider_id=BOOK_PROVIDER_ID, defaults={"name": BOOK_NAME}
    )
    with connection.cursor() as cursor:
        if CallRecord.objects.filter(tenant=tenant).count() != CALLS:
            say(f"making {CALLS:,} SPIKON call history rows")
            CallRecord.objects.filter(tenant=tenant).delete()
            with without_indexes("spikon_callrecord"):
                cursor.execute(CALLS_SQL, {"tenant": tenant.pk, "calls": CALLS})
            made = True
        if PhoneBookEntry.objects.filter(book=book).count() != PHONEBOOK_ENTRIES:
            say(f"making a phonebook of {PHONEBOOK_ENTRIES:,} entries")
            PhoneBookEntry.objects.filter(book=book).delete()
            cursor.execute(ENTRIES_SQL, {"tenant": tenant.pk, "book": book.pk, "entries": PHONEBOOK_ENTRIES})
            made = True
        if SmsMessage.objects.filter(tenant=tenant).count() != SMS_MESSAGES:
            say(f"making {SMS_MESSAGES:,} SMS messages")
            SmsBatch.objects.filter(tenant=tenant).delete()
            user = User.objects.get(username=OPERATOR)
            cursor.execute(
                SMS_SQL,
                {"tenant": tenant.pk, "user": user.pk, "username": user.username, "messages": SMS_MESSAGES},
            )
            made = True
    return made


def pages(tenant) -> list[tuple[str, str]]:
    """(label, path) of the SPIKON pages measured."""
    from spikon.models import PhoneBook

    book = PhoneBook.objects.get(tenant=tenant, provider_id=BOOK_PROVIDER_ID)
    base = f"/t/{tenant.slug}/spikon"
    return [
        ("SPIKON calls", f"{base}/history/"),
        (f"SPIKON phonebook of {PHONEBOOK_ENTRIES:,}", f"{base}/phonebooks/{book.pk}/"),
        ("SPIKON SMS log", f"{base}/sms/"),
    ]
