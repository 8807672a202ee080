from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models

# Each kept total per day and number priced at its number's price and tariff of now, as premium.totals
# counts them (rows of numbers no longer on the account keep neither); then each month's totals per
# number get the sum of their days.
PRICE_KEPT_DAYS = """
UPDATE premium_daynumbertotal AS t
SET tariff = n.tariff, paid = ROUND(n.price_net * t.billed_seconds / 60, 2)
FROM premium_premiumnumber AS n
WHERE n.tenant_id = t.tenant_id AND n.number = t.number
"""
PRICE_KEPT_MONTHS = """
UPDATE premium_monthnumbertotal AS m
SET tariff = d.tariff, paid = d.paid
FROM (
    SELECT tenant_id, EXTRACT(YEAR FROM day) AS year, EXTRACT(MONTH FROM day) AS month, number, disposition,
           MAX(tariff) AS tariff, SUM(paid) AS paid
    FROM premium_daynumbertotal
    GROUP BY 1, 2, 3, number, disposition
) AS d
WHERE m.tenant_id = d.tenant_id AND m.year = d.year AND m.month = d.month AND m.number = d.number
      AND m.disposition = d.disposition;
UPDATE premium_monthnumberoverall AS m
SET tariff = d.tariff, paid = d.paid
FROM (
    SELECT tenant_id, year, month, number, MAX(tariff) AS tariff, SUM(paid) AS paid
    FROM premium_monthnumbertotal
    GROUP BY tenant_id, year, month, number
) AS d
WHERE m.tenant_id = d.tenant_id AND m.year = d.year AND m.month = d.month AND m.number = d.number
"""


def price_kept_totals(apps, schema_editor):
    """In the database on PostgreSQL; through Python elsewhere (SQLite, a development start)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PRICE_KEPT_DAYS)
        schema_editor.execute(PRICE_KEPT_MONTHS)
        return
    DayNumberTotal = apps.get_model("premium", "DayNumberTotal")
    MonthNumberTotal = apps.get_model("premium", "MonthNumberTotal")
    MonthNumberOverall = apps.get_model("premium", "MonthNumberOverall")
    PremiumNumber = apps.get_model("premium", "PremiumNumber")
    numbers = {
        (tenant_id, number): (tariff, price)
        for tenant_id, number, tariff, price in PremiumNumber.objects.values_list(
            "tenant_id", "number", "tariff", "price_net"
        )
    }
    priced = []
    months = defaultdict(lambda: [None, None])  # (tenant, year, month, number, state) -> [tariff, paid]
    for row in DayNumberTotal.objects.order_by().iterator():
        if (row.tenant_id, row.number) not in numbers:
            continue
        row.tariff, price = numbers[row.tenant_id, row.number]
        if price is not None:
            row.paid = (price * row.billed_seconds / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)
        priced.append(row)
        into = months[row.tenant_id, row.day.year, row.day.month, row.number, row.disposition]
        into[0] = row.tariff
        if row.paid is not None:
            into[1] = row.paid + (into[1] or 0)
    DayNumberTotal.objects.bulk_update(priced, ["tariff", "paid"], batch_size=1000)
    per_state, overall = [], defaultdict(lambda: [None, None])
    for row in MonthNumberTotal.objects.order_by().iterator():
        key = (row.tenant_id, row.year, row.month, row.number)
        if (*key, row.disposition) in months:
            row.tariff, row.paid = months[*key, row.disposition]
            per_state.append(row)
            overall[key][0] = row.tariff
            if row.paid is not None:
                overall[key][1] = row.paid + (overall[key][1] or 0)
    MonthNumberTotal.objects.bulk_update(per_state, ["tariff", "paid"], batch_size=1000)
    whole = []
    for row in MonthNumberOverall.objects.order_by().iterator():
        key = (row.tenant_id, row.year, row.month, row.number)
        if key in overall:
            row.tariff, row.paid = overall[key]
            whole.append(row)
    MonthNumberOverall.objects.bulk_update(whole, ["tariff", "paid"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("premium", "0016_busiest_numbers_indexes"),
    ]

    # The indexes with the takings are built after the rows are priced; the one per day and number before
    # the old one is dropped, as in 0015 (the months' are small).
    operations = [
        migrations.RemoveIndex(
            model_name="monthnumberoverall",
            name="premium_month_busiest",
        ),
        migrations.RemoveIndex(
            model_name="monthnumbertotal",
            name="premium_month_state_busiest",
        ),
        *(
            migrations.AddField(
                model_name=model, name="tariff", field=models.PositiveSmallIntegerField(null=True)
            )
            for model in ("daynumbertotal", "monthnumbertotal", "monthnumberoverall")
        ),
        *(
            migrations.AddField(
                model_name=model,
                name="paid",
                field=models.DecimalField(decimal_places=2, max_digits=16, null=True),
            )
            for model in ("daynumbertotal", "monthnumbertotal", "monthnumberoverall")
        ),
        migrations.RunPython(price_kept_totals, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="daynumbertotal",
            index=models.Index(
                fields=["tenant", "number", "day"],
                include=("disposition", "calls", "billed_seconds", "cost", "tariff", "paid"),
                name="premium_day_number_takings",
            ),
        ),
        migrations.RemoveIndex(
            model_name="daynumbertotal",
            name="premium_day_number_covering",
        ),
        migrations.AddIndex(
            model_name="monthnumberoverall",
            index=models.Index(
                fields=["tenant", "year", "month", "-calls", "number"],
                include=("answered", "billed_seconds", "cost", "tariff", "paid"),
                name="premium_month_busiest",
            ),
        ),
        migrations.AddIndex(
            model_name="monthnumbertotal",
            index=models.Index(
                fields=["tenant", "year", "month", "disposition", "-calls", "number"],
                include=("billed_seconds", "cost", "tariff", "paid"),
                name="premium_month_state_busiest",
            ),
        ),
    ]
