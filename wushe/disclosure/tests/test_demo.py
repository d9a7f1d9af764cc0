"""Public pages and JSON over the demo data: they answer without login and never contain the
demo's ID numbers or phone numbers (full or masked), whichever register they are sealed in."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from wushe.core.personal import PersonFields, unseal
from wushe.projects.models import Project

pytestmark = pytest.mark.django_db


def demo_secrets(per_model: int = 150) -> set[str]:
    """ID numbers and phone numbers of every register holding people, plain and masked."""
    found: set[str] = set()
    for model in apps.get_models():
        if not issubclass(model, PersonFields):
            continue
        for person in model._default_manager.exclude(id_number_token="", phone_token="")[
            :per_model
        ]:
            for field in ("id_number", "phone"):
                value = unseal(person, field)
                if value:
                    found.add(value)
                    found.add(value.removeprefix("+86"))
                masked = getattr(person, f"{field}_masked", "")
                if masked:
                    found.add(masked)
    return found


def test_public_pages_show_no_personal_data_of_the_demo():
    call_command("demo", "load", "--seed", "3", "--scale", "0.2")
    secrets = demo_secrets()
    assert len(secrets) > 50  # the demo does hold people with ID numbers and phones
    client = Client()
    project = Project.objects.filter(spent_fen__gt=0).first()
    assert project is not None
    urls = [
        "/disclosure/",
        "/disclosure/projects/",
        "/disclosure/projects/?page=2",
        f"/disclosure/projects/{project.pk}/",
        "/disclosure/organizations/",
        f"/disclosure/organizations/{project.organization_id}/",
        "/disclosure/funds/",
        "/disclosure/funds/donations/",
        "/disclosure/funds/expenditures/",
        "/api/v1/public/projects?limit=500",
        f"/api/v1/public/projects/{project.pk}/ledger",
        "/api/v1/public/organizations?limit=500",
        f"/api/v1/public/organizations/{project.organization_id}",
        "/api/v1/public/funds",
        "/api/v1/public/funds/donations?limit=500",
        "/api/v1/public/funds/expenditures?limit=500",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        leaked = [s for s in secrets if s in text]
        assert not leaked, (url, leaked[:3])
