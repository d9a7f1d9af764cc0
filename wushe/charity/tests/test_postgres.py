"""What only PostgreSQL can show: the ledger trigger, and the restock lock under concurrency."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import DatabaseError, connection, connections, transaction

from wushe.charity import services
from wushe.charity.models import StoreItem

pytestmark = pytest.mark.postgres


@pytest.mark.django_db
def test_trigger_refuses_update_and_delete_of_donations(charity):
    donation = services.donation_record(
        fund=charity["micro"], donor=charity["person"], kind="money", amount_fen=100,
        received_on=date(2025, 1, 1), actor=charity["actor"],
    )  # fmt: skip
    for sql in (
        "UPDATE charity_donation SET amount_fen = 1 WHERE id = %s",
        "DELETE FROM charity_donation WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [donation.pk])


@pytest.mark.django_db(transaction=True)
def test_concurrent_restocks_lose_nothing(charity):
    item = charity["rice"]  # stock 10
    actor = charity["actor"]
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                fresh = StoreItem.objects.get(pk=item.pk)
                services.store_item_restock(item=fresh, quantity=1, actor=actor)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert StoreItem.objects.get(pk=item.pk).stock == 40
