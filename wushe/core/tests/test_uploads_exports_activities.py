# ruff: noqa: F811 - the activities tests' fixtures are imported, then named as parameters
"""Formula injection on the export of verified volunteer service records (page)."""

from __future__ import annotations

import pytest

from wushe.activities import services
from wushe.activities.models import Activity, ServiceRecord
from wushe.activities.tests.conftest import setup, submit  # noqa: F401 - fixture
from wushe.volunteers.models import Volunteer

from .test_uploads_exports import assert_formula_safe, content_of, signed_in

pytestmark = pytest.mark.django_db


def test_the_service_record_export_neutralises_every_formula(setup):
    record = submit(setup)
    services.record_verify(record=record, actor=setup["community_a"])
    ServiceRecord.objects.filter(pk=record.pk).update(content="=1+1")
    Volunteer.objects.filter(pk=setup["vol"].pk).update(name="@SUM(A1)", number=" =1+1")
    Activity.objects.filter(pk=setup["activity"].pk).update(title="＝1+1")
    ServiceRecord.objects.filter(pk=record.pk).update(reason="\t=1")
    response = signed_in(setup["community_a"]).get("/activities/export/")
    assert response.status_code == 200
    assert_formula_safe(
        content_of(response), payloads=["=1+1", "@SUM(A1)", " =1+1", "＝1+1", "\t=1"]
    )
