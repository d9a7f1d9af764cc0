"""Big files validate and commit in Celery tasks (eager here), queued after the transaction
commits, with progress on the job."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wushe.audit.models import AuditEvent
from wushe.imports.models import ImportJob
from wushe.imports.services import import_commit, import_upload
from wushe.testing import NANGUANXIANG, bearer_client

from .conftest import HEADER, ID_A, ID_B, ID_C, ID_D, ID_E, KIND, csv_bytes

pytestmark = pytest.mark.django_db

IDS = [ID_A, ID_B, ID_C, ID_D, ID_E]


@pytest.fixture
def small_threshold(settings):
    settings.WUSHE = {**settings.WUSHE, "IMPORT_BACKGROUND_ROWS": 2, "IMPORT_PROGRESS_EVERY": 2}


def data():
    return csv_bytes(
        [HEADER] + [[f"人{i}", n, None, None, NANGUANXIANG] for i, n in enumerate(IDS)]
    )


def test_big_files_are_validated_in_a_task_after_commit(
    people, role_users, small_threshold, django_capture_on_commit_callbacks
):
    worker = role_users["community_a"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_upload(kind=KIND, file_name="a.csv", data=data(), actor=worker)
    # Nothing ran yet: the task is queued for after the upload's transaction.
    assert job.status == ImportJob.Status.UPLOADED and job.background
    assert len(callbacks) == 1
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED
    assert (job.rows_total, job.rows_valid, job.progress_done) == (5, 5, 5)


def test_big_commits_run_in_a_task_and_are_idempotent(
    people, role_users, small_threshold, django_capture_on_commit_callbacks
):
    worker = role_users["community_a"]
    with django_capture_on_commit_callbacks(execute=True):
        job = import_upload(kind=KIND, file_name="a.csv", data=data(), actor=worker)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_commit(job=job, actor=worker)
    assert job.status == ImportJob.Status.COMMITTING and len(callbacks) == 1
    # A second request while the task is queued changes nothing.
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert import_commit(job=job, actor=worker).status == ImportJob.Status.COMMITTING
    assert again == []
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED and job.rows_created == 5
    assert AuditEvent.objects.filter(action="test_people.created").count() == 5
    # A redelivered task (acks_late) finds the job committed and does nothing.
    callbacks[0]()
    assert AuditEvent.objects.filter(action="test_people.created").count() == 5


def test_api_shows_progress_while_running(people, role_users, small_threshold):
    client = bearer_client(role_users["community_a"])
    # Without executing on_commit callbacks the job stays queued, as with a busy worker.
    response = client.post(
        "/api/v1/imports", {"kind": KIND, "file": SimpleUploadedFile("a.csv", data())}
    )
    body = response.json()
    assert body["status"] == "uploaded" and body["background"] is True
    assert body["progress"] == {"done": 0, "total": 6, "running": True}
