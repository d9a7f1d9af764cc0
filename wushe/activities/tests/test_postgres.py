"""PostgreSQL: verifying one record from two sessions at once credits the coins once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from wushe.activities import services
from wushe.activities.models import RecordStatus, ServiceRecord
from wushe.timebank.models import Balance, Transfer
from wushe.timebank.verify import ledger_problems
from wushe.volunteers.models import Volunteer

from .conftest import submit

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_concurrent_verification_credits_once(setup: dict[str, Any]) -> None:
    record = submit(setup)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def verify() -> None:
        try:
            barrier.wait()
            services.record_verify(record=record, actor=setup["community_a"])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=verify) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert ServiceRecord.objects.get(pk=record.pk).status == RecordStatus.VERIFIED
    assert Transfer.objects.count() == 1
    assert Volunteer.objects.get(pk=setup["vol"].pk).verified_minutes == 75
    assert (
        sum(Balance.objects.filter(account__kind="person").values_list("amount", flat=True)) == 75
    )
    assert ledger_problems() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_sign_in_once_and_sign_out_submit_one_record(
    setup: dict[str, Any],
) -> None:
    from datetime import timedelta

    import time_machine

    from wushe.activities.models import SignUp

    from .conftest import START

    activity, volunteer, user = setup["activity"], setup["vol"], setup["volunteer"]
    errors: list[BaseException] = []

    def many(action: str) -> None:
        barrier = threading.Barrier(4)

        def scan() -> None:
            try:
                barrier.wait()
                if action == "in":
                    services.sign_in(activity=activity, volunteer=volunteer, actor=user)
                else:
                    services.sign_out(activity=activity, volunteer=volunteer, actor=user)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=scan) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    with time_machine.travel(START, tick=False):
        many("in")
    with time_machine.travel(START + timedelta(minutes=45), tick=False):
        many("out")
    assert not errors
    assert SignUp.objects.filter(activity=activity).count() == 1
    assert ServiceRecord.objects.filter(activity=activity).count() == 1
    assert ServiceRecord.objects.get(activity=activity).minutes == 45
