"""Service records: hours rule, verification credits coins once, rejection, corrections as
reversing records, scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from wushe.activities import services
from wushe.activities.models import RecordStatus, minutes_of
from wushe.core.errors import Conflict, NotFound, ValidationFailed
from wushe.testing import NANGUANXIANG
from wushe.timebank import services as tb
from wushe.timebank.models import Balance, Transfer
from wushe.timebank.verify import ledger_problems
from wushe.volunteers.models import Volunteer

from .conftest import START, submit


def test_minutes_exclude_travel_and_drop_seconds() -> None:
    assert minutes_of(START, START + timedelta(minutes=95, seconds=59), 20) == 75


def test_verify_credits_coins_once_and_adds_hours(setup: dict[str, Any]) -> None:
    record = submit(setup)
    assert record.minutes == 75
    verified = services.record_verify(record=record, actor=setup["community_a"])
    assert verified.status == RecordStatus.VERIFIED
    again = services.record_verify(record=record, actor=setup["community_a"])
    assert again.transfer_id == verified.transfer_id
    volunteer = Volunteer.objects.get(pk=setup["vol"].pk)
    assert volunteer.verified_minutes == 75
    account = tb.account_for_volunteer(scheme=setup["scheme"], volunteer=volunteer)
    assert Balance.objects.get(account=account).amount == 75
    assert Transfer.objects.count() == 1
    assert ledger_problems() == []


def test_reject_needs_reason_and_earns_nothing(setup: dict[str, Any]) -> None:
    record = submit(setup)
    with pytest.raises(ValidationFailed):
        services.record_reject(record=record, reason="", actor=setup["community_a"])
    rejected = services.record_reject(record=record, reason="未到场", actor=setup["community_a"])
    assert rejected.status == RecordStatus.REJECTED
    with pytest.raises(Conflict):
        services.record_verify(record=record, actor=setup["community_a"])
    assert Volunteer.objects.get(pk=setup["vol"].pk).verified_minutes == 0


def test_correction_is_a_reversing_record(setup: dict[str, Any]) -> None:
    record = services.record_verify(record=submit(setup), actor=setup["community_a"])
    correction = services.record_correct(record=record, reason="时间记错", actor=setup["admin"])
    assert correction.minutes == -75 and correction.corrects_id == record.pk
    assert Volunteer.objects.get(pk=setup["vol"].pk).verified_minutes == 0
    account = tb.account_for_volunteer(scheme=setup["scheme"], volunteer=setup["vol"])
    assert Balance.objects.get(account=account).amount == 0
    with pytest.raises(Conflict):
        services.record_correct(record=record, reason="again", actor=setup["admin"])
    assert ledger_problems() == []


def test_scope(setup: dict[str, Any]) -> None:
    record = submit(setup)
    for who in ("community_b", "resident", "auditor", "volunteer"):
        with pytest.raises(NotFound):
            services.record_verify(record=record, actor=setup[who])
    with pytest.raises(NotFound):
        services.activity_create(
            region_code=NANGUANXIANG,
            title="x",
            starts_at=START,
            ends_at=START + timedelta(hours=1),
            actor=setup["community_b"],
        )
    with pytest.raises(ValidationFailed) as caught:
        submit(setup, minutes=10, travel=20)
    assert caught.value.code == "activities.record.minutes"


def test_minutes_cache_is_rebuildable(setup: dict[str, Any]) -> None:
    from io import StringIO

    from django.core.management import call_command

    record = services.record_verify(record=submit(setup), actor=setup["community_a"])
    services.record_verify(record=submit(setup, minutes=60, travel=0), actor=setup["community_a"])
    services.record_correct(record=record, reason="记错", actor=setup["admin"])
    Volunteer.objects.filter(pk=setup["vol"].pk).update(verified_minutes=9999)
    out = StringIO()
    call_command("activities", "rebuild-minutes", stdout=out)
    assert "1 corrected" in out.getvalue()
    assert Volunteer.objects.get(pk=setup["vol"].pk).verified_minutes == 60


def test_volunteer_who_is_a_resident_shares_one_account(setup: dict[str, Any]) -> None:
    from wushe.residents.services import resident_create
    from wushe.timebank.models import Account
    from wushe.volunteers.tests.helpers import id_number

    resident = resident_create(
        region_code=NANGUANXIANG, name="李志愿", id_number=id_number(), actor=setup["admin"]
    )
    existing = tb.account_for_resident(scheme=setup["scheme"], resident=resident)
    services.record_verify(record=submit(setup), actor=setup["community_a"])
    account = Account.objects.get(volunteer=setup["vol"])
    assert account.pk == existing.pk and account.resident_id == resident.pk
    assert account.user_id == setup["vol"].user_id
    assert Balance.objects.get(account=account).amount == 75
