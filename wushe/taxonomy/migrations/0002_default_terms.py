from django.db import migrations


def load(apps, schema_editor):
    from wushe.taxonomy.seeds import DEFAULT_TERMS

    Term = apps.get_model("taxonomy", "Term")
    for vocabulary, rows in DEFAULT_TERMS.items():
        for order, (code, name, name_en) in enumerate(rows, start=1):
            Term.objects.update_or_create(
                vocabulary=vocabulary,
                code=code,
                defaults={"name": name, "name_en": name_en, "order": order * 10},
            )


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
