from django.db import migrations

from wushe.core.db import append_only_trigger

forwards, backwards = append_only_trigger("requests_requestevent")


class Migration(migrations.Migration):
    dependencies = [("requests", "0001_initial"), ("core", "0001_append_only_function")]
    operations = [migrations.RunPython(forwards, backwards)]
