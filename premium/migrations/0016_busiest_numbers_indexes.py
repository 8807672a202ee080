from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_invitations_and_own_passwords"),
        ("premium", "0015_day_number_covering_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="monthnumberoverall",
            index=models.Index(
                fields=["tenant", "year", "month", "-calls", "number"],
                include=("answered", "billed_seconds", "cost"),
                name="premium_month_busiest",
            ),
        ),
        migrations.AddIndex(
            model_name="monthnumbertotal",
            index=models.Index(
                fields=["tenant", "year", "month", "disposition", "-calls", "number"],
                include=("billed_seconds", "cost"),
                name="premium_month_state_busiest",
            ),
        ),
    ]
