"""Idempotent submission: a retried POST /requests with the same Idempotency-Key returns the
same request and never creates a second; the same key with another body is a 409; and under
real concurrency (PostgreSQL, threads) N simultaneous POSTs with one key make one row."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from wushe.audit.models import AuditEvent
from wushe.requests.models import Request, RequestEvent
from wushe.testing import (
    NANGUANXIANG,
    bearer_client,
    ensure_default_terms,
    ensure_haining_regions,
    make_user,
)

BODY = {
    "region": NANGUANXIANG,
    "category": "daily_care",
    "description": "家里的水管漏水，请帮忙联系维修。",
    "urgency": "urgent",
}


@pytest.mark.django_db
def test_retry_with_the_same_key_returns_the_same_request(world):
    client = bearer_client(world.users["resident"])
    first = client.post(
        "/api/v1/requests", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 201, first.content
    again = client.post(
        "/api/v1/requests", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    assert Request.objects.count() == 1
    assert RequestEvent.objects.count() == 1
    assert AuditEvent.objects.filter(action="requests.request.submitted").count() == 1


@pytest.mark.django_db
def test_same_key_other_body_is_409(world):
    client = bearer_client(world.users["resident"])
    client.post(
        "/api/v1/requests", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    other = client.post(
        "/api/v1/requests",
        {**BODY, "description": "另一件事"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency.key_reused"
    assert Request.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_user_and_optional(world):
    resident = bearer_client(world.users["resident"])
    worker = bearer_client(world.users["community_a"])
    a = resident.post(
        "/api/v1/requests", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="same"
    )
    b = worker.post(
        "/api/v1/requests",
        {**BODY, "channel": "phone"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert a.status_code == b.status_code == 201
    # Without a key every POST is a new request.
    c = resident.post("/api/v1/requests", BODY, content_type="application/json")
    d = resident.post("/api/v1/requests", BODY, content_type="application/json")
    assert c.status_code == d.status_code == 201
    assert Request.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 65, "含中文", "a b"])
def test_malformed_key_is_422(world, key):
    response = bearer_client(world.users["resident"]).post(
        "/api/v1/requests", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency.key_invalid"
    assert Request.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_one_key_make_one_request():
    ensure_haining_regions()
    ensure_default_terms()
    user = make_user("racer", "resident", NANGUANXIANG)
    clients = [bearer_client(user) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, int]] = []
    lock = threading.Lock()

    def post(client) -> None:
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/requests",
                BODY,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="race-1",
            )
            with lock:
                results.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(clients)
    assert Request.objects.count() == 1
    ids = {request_id for _status, request_id in results}
    assert ids == {Request.objects.get().pk}
    assert sorted(status for status, _ in results).count(201) == 1
    assert {status for status, _ in results} <= {200, 201}
    assert RequestEvent.objects.count() == 1
    assert AuditEvent.objects.filter(action="requests.request.submitted").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_submission_outside_a_transaction_writes_all_its_rows_in_one_statement():
    """On PostgreSQL a submission without photos is one statement (its id drawn with the
    category look-up): the request, its first event, the audit row, the community workers'
    inbox and the indicators' dirty mark all land, with the right id; a retry and a reused key
    behave as in a transaction."""
    from django.test.utils import CaptureQueriesContext

    from wushe.indicators.models import DirtyMark
    from wushe.notifications.models import Notification

    ensure_haining_regions()
    ensure_default_terms()
    user = make_user("one-statement", "resident", NANGUANXIANG)
    worker = make_user("one-statement-worker", "community_worker", NANGUANXIANG)
    client = bearer_client(user)
    with CaptureQueriesContext(connection) as queries:
        first = client.post(
            "/api/v1/requests", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="one"
        )
    assert first.status_code == 201, first.content
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any(s.strip().upper() in {"BEGIN", "COMMIT"} for s in sql), sql
    assert sum(s.lstrip().upper().startswith(("INSERT", "WITH")) for s in sql) == 1, sql
    request = Request.objects.get()
    assert request.pk == first.json()["id"]
    event = RequestEvent.objects.get()
    assert (event.request_id, event.seq, event.kind) == (request.pk, 1, "submitted")
    audit = AuditEvent.objects.get(action="requests.request.submitted")
    assert audit.target_id == str(request.pk)
    note = Notification.objects.get(recipient=worker)
    assert note.target_id == str(request.pk)
    assert str(request.pk) in note.link
    assert DirtyMark.objects.filter(county=NANGUANXIANG[:6]).exists()
    again = client.post(
        "/api/v1/requests", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="one"
    )
    assert (again.status_code, again.json()["id"]) == (200, request.pk)
    other = client.post(
        "/api/v1/requests",
        {**BODY, "description": "另一件事"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="one",
    )
    assert other.status_code == 409
    assert Request.objects.count() == RequestEvent.objects.count() == 1
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_timeline_is_append_only_in_the_orm(world):
    from wushe.audit.models import AppendOnlyError

    request = world.submit()
    event = RequestEvent.objects.get(request=request)
    with pytest.raises(AppendOnlyError):
        RequestEvent.objects.filter(pk=event.pk).update(note="changed")
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.postgres
@pytest.mark.django_db
def test_timeline_trigger_refuses_update_and_delete(world):
    from django.db import DatabaseError, transaction

    request = world.submit()
    for sql in (
        "UPDATE requests_requestevent SET note = 'x' WHERE request_id = %s",
        "DELETE FROM requests_requestevent WHERE request_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [request.pk])
