"""The donation ledger is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE."""

from django.db import migrations

from wushe.core.db import append_only_trigger

forwards, backwards = append_only_trigger("charity_donation")


class Migration(migrations.Migration):
    dependencies = [("charity", "0001_initial"), ("core", "0001_append_only_function")]
    operations = [migrations.RunPython(forwards, backwards)]
