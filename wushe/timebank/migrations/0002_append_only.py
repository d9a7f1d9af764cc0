"""Transfers and entries are append-only: on PostgreSQL a trigger refuses UPDATE and DELETE."""

from django.db import migrations

from wushe.core.db import append_only_trigger

entry_forwards, entry_backwards = append_only_trigger("timebank_entry")
transfer_forwards, transfer_backwards = append_only_trigger("timebank_transfer")


class Migration(migrations.Migration):
    dependencies = [("timebank", "0001_initial"), ("core", "0001_append_only_function")]
    operations = [
        migrations.RunPython(entry_forwards, entry_backwards),
        migrations.RunPython(transfer_forwards, transfer_backwards),
    ]
