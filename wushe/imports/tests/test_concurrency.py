"""Two people pressing 确认导入 at the same moment: the job row lock lets one commit through;
the other finds the job committing or committed and writes nothing (PostgreSQL only)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from wushe.audit.models import AuditEvent
from wushe.imports.models import ImportJob
from wushe.imports.services import import_commit, import_upload
from wushe.testing import NANGUANXIANG

from .conftest import HEADER, ID_A, ID_B, KIND, xlsx_bytes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_commits_write_once(people, role_users):
    worker = role_users["community_a"]
    data = xlsx_bytes(
        [HEADER, ["张三", ID_A, None, None, NANGUANXIANG], ["李四", ID_B, None, None, NANGUANXIANG]]
    )
    job = import_upload(kind=KIND, file_name="a.xlsx", data=data, actor=worker)
    barrier = threading.Barrier(2)
    statuses: list[str] = []
    errors: list[BaseException] = []

    def press() -> None:
        try:
            barrier.wait()
            statuses.append(import_commit(job=job, actor=worker).status)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.COMMITTED
    assert set(statuses) <= {ImportJob.Status.COMMITTING, ImportJob.Status.COMMITTED}
    assert AuditEvent.objects.filter(action="test_people.created").count() == 2
    assert AuditEvent.objects.filter(action="imports.job.committed").count() == 1
