"""A trigger function shared by every append-only table (audit log, ledgers) on PostgreSQL."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION wushe_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS wushe_refuse_change() CASCADE")


class Migration(migrations.Migration):
    dependencies: list = []
    operations = [migrations.RunPython(forwards, backwards)]
