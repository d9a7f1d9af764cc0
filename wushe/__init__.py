"""Wushe (五社联动): the one-database, two-platform system for community governance."""

from .celery import app as celery_app

__all__ = ["celery_app"]
