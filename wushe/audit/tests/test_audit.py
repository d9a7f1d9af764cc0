import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from wushe.audit.models import AppendOnlyError, AuditEvent
from wushe.audit.services import audit_record
from wushe.testing import NANGUANXIANG, bearer_client, make_user

pytestmark = pytest.mark.django_db


def test_changes_are_masked_before_they_are_stored(regions):
    event = audit_record(
        action="test.masked",
        region_code=NANGUANXIANG,
        changes={
            "id_number": "11010519491231002X",
            "phone": "13812345678",
            "password": "hunter2",
            "nested": {"phone": "+8613912345678"},
            "name": "张三",
        },
    )
    stored = AuditEvent.objects.get(pk=event.pk).changes
    assert stored["id_number"] == "1101**********002X"
    assert stored["phone"] == "138****5678"
    assert stored["password"] == "******"
    assert stored["nested"]["phone"] == "139****5678"
    assert stored["name"] == "张三"


def test_orm_refuses_to_change_or_delete_events(regions):
    event = audit_record(action="test.immutable")
    event.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.immutable"


def test_event_rolls_back_with_the_change_it_records(regions):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back")
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_postgres_trigger_refuses_raw_update_and_delete(regions, sql):
    event = audit_record(action="test.protected")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.protected"


def _api(user, **params):
    return bearer_client(user).get("/api/v1/audit/events", params)


def test_auditor_searches_within_their_region(role_users):
    audit_record(action="test.haining", region_code=NANGUANXIANG)
    audit_record(action="test.elsewhere", region_code="330482001001")
    body = _api(role_users["auditor"], action="test.").json()
    actions = {item["action"] for item in body["items"]}
    assert actions == {"test.haining"}
    assert body["count"] == 1


def test_search_filters_by_actor_action_region_and_time(role_users):
    make_user("clumsy")
    from django.test import Client

    Client().post(
        "/api/v1/auth/token",
        {"username": "clumsy", "password": "nope"},
        content_type="application/json",
    )
    audit_record(action="test.region", region_code="330481002002")
    admin = role_users["admin"]
    by_actor = _api(admin, actor="clumsy").json()
    assert [i["action"] for i in by_actor["items"]] == ["accounts.login.failed"]
    by_region = _api(admin, region="330481002", action="test.").json()
    assert [i["action"] for i in by_region["items"]] == ["test.region"]
    future = _api(admin, since="2999-01-01T00:00:00+08:00").json()
    assert future["count"] == 0
    failures = _api(admin, outcome="failure").json()
    assert {i["outcome"] for i in failures["items"]} == {"failure"}


@pytest.mark.parametrize(
    "key", ["resident", "volunteer", "community_a", "township", "county", "province"]
)
def test_other_roles_cannot_read_the_audit_log(role_users, key):
    response = _api(role_users[key])
    assert response.status_code == 403
    assert response.json()["code"] == "audit.forbidden"


def test_bad_filters_get_the_error_shape(role_users):
    response = _api(role_users["auditor"], since="yesterday")
    assert response.status_code == 422
    assert "since" in response.json()["fields"]
    response = _api(role_users["auditor"], region="abc")
    assert response.status_code == 422
    assert response.json()["code"] == "region.code_invalid"
