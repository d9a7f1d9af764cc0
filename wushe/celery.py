"""Celery application. Without REDIS_URL tasks run eagerly in-process (embedded demo, tests)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wushe.settings")

app = Celery("wushe")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
