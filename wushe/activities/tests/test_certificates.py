"""Certificates: issued by a worker of the volunteer's region, checked publicly by number
without personal data."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wushe.activities import services
from wushe.audit.models import AuditEvent
from wushe.core.errors import NotFound

from .conftest import submit


def test_issue_and_public_check(setup: dict[str, Any]) -> None:
    services.record_verify(record=submit(setup), actor=setup["community_a"])
    with pytest.raises(NotFound):
        services.certificate_issue(volunteer=setup["vol"], actor=setup["community_b"])
    certificate = services.certificate_issue(volunteer=setup["vol"], actor=setup["community_a"])
    assert certificate.minutes == 75 and certificate.number.startswith("330481")
    assert AuditEvent.objects.filter(action="activities.certificate.issued").count() == 1
    page = Client().get(f"/activities/certificates/?number={certificate.number.lower()}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "证明有效" in text and "75" in text
    assert setup["vol"].name not in text  # no personal data
    missing = Client().get("/activities/certificates/?number=NOPE")
    assert "未找到该编号的证明" in missing.content.decode()


def test_issue_and_print_from_the_pages(setup: dict[str, Any]) -> None:

    services.record_verify(record=submit(setup), actor=setup["community_a"])
    worker = Client()
    worker.force_login(setup["community_a"])
    issued = worker.post(
        "/activities/certificates/issue/", {"volunteer_number": setup["vol"].number}
    )
    assert issued.status_code == 302 and "/print/" in issued["Location"]
    page = worker.get(issued["Location"]).content.decode()
    assert "志愿服务记录证明" in page and "1.2 小时" in page and setup["vol"].number in page
    assert setup["vol"].id_number_masked in page
    own = Client()
    own.force_login(setup["volunteer"])
    assert own.get(issued["Location"]).status_code == 200
    assert issued["Location"] in own.get("/activities/mine/").content.decode()
    other = Client()
    other.force_login(setup["community_b"])
    assert other.get(issued["Location"]).status_code == 404
