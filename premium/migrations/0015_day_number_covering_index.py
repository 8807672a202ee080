from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_invitations_and_own_passwords"),
        ("premium", "0014_statement_file_format"),
    ]

    # The covering index is built before the old one is dropped: building it leaves the table readable,
    # and the table is without an index on the numbers at no time.
    operations = [
        migrations.AddIndex(
            model_name="daynumbertotal",
            index=models.Index(
                fields=["tenant", "number", "day"],
                include=("disposition", "calls", "billed_seconds", "cost"),
                name="premium_day_number_covering",
            ),
        ),
        migrations.RemoveIndex(
            model_name="daynumbertotal",
            name="premium_day_number_by_number",
        ),
    ]
