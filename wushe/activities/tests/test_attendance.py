"""Sign-up and attendance by QR code: the organiser's page shows two codes carrying signed,
time-limited links; the volunteer's phone opens one and signs in or out; sign-out submits the
record; the organiser verifies it in the queue; the export has the record's fields."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from openpyxl import load_workbook

from wushe.activities import qr, services
from wushe.activities.models import RecordStatus, ServiceRecord, SignUp
from wushe.timebank.models import Balance

from .conftest import START


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def scan_links(html: str) -> dict[str, str]:
    return {
        action: path
        for path, action in re.findall(
            r'href="http://testserver(/activities/scan/[^"]+)" data-scan-url="(\w+)"', html
        )
    }


def test_qr_encoder_draws_finder_patterns_and_fits_a_link() -> None:
    matrix = qr.encode("http://testserver/activities/scan/12.in:1a2b3c:" + "x" * 43 + "/")
    size = len(matrix)
    assert size in range(21, 78, 4)
    for x0, y0 in ((0, 0), (size - 7, 0), (0, size - 7)):
        ring = [matrix[y0][x0 + i] for i in range(7)]
        assert ring == [True] * 7
        assert matrix[y0 + 1][x0 + 1] is False and matrix[y0 + 3][x0 + 3] is True
    assert qr.svg("abc").startswith("<svg")


def test_scan_sign_in_and_out_then_verify(setup: dict[str, Any]) -> None:
    activity = setup["activity"]
    organiser, phone = client_for(setup["community_a"]), client_for(setup["volunteer"])
    with time_machine.travel(START - timedelta(days=1), tick=False):
        page = phone.get(f"/activities/{activity.pk}/")
        assert "我要报名" in page.content.decode()
        phone.post(f"/activities/{activity.pk}/signup/")
        assert SignUp.objects.get(activity=activity).status == "signed_up"
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        screen = organiser.get(f"/activities/{activity.pk}/").content.decode()
        assert screen.count("<svg") == 2 and "签到表" in screen and "李志愿" in screen
        links = scan_links(screen)
        confirm = phone.get(links["in"])
        assert "确认签到" in confirm.content.decode()
        assert phone.post(links["in"]).status_code == 302
        out_link = links["out"]
    with time_machine.travel(START + timedelta(minutes=120, seconds=30), tick=False):
        # The code shown two hours ago has expired: the phone is told so, nothing changes.
        stale = phone.post(out_link, {"travel_minutes": "10"})
        assert stale.status_code == 409 and "二维码已过期" in stale.content.decode()
        fresh = scan_links(organiser.get(f"/activities/{activity.pk}/qr/").content.decode())
        assert phone.post(fresh["out"], {"travel_minutes": "10"}).status_code == 302
    signup = SignUp.objects.get(activity=activity)
    record = signup.record
    assert record is not None and record.status == RecordStatus.SUBMITTED
    assert record.minutes == 118 - 10
    # A forged link is a 404.
    assert phone.get("/activities/scan/1.in:abc:def/").status_code == 404
    queue = organiser.get("/activities/queue/").content.decode()
    assert f'data-record="{record.pk}"' in queue
    assert organiser.post(f"/activities/records/{record.pk}/verify/").status_code == 302
    record.refresh_from_db()
    assert record.status == RecordStatus.VERIFIED
    assert Balance.objects.get(account__volunteer=setup["vol"]).amount == 108
    mine = phone.get("/activities/mine/").content.decode()
    assert "1.8 小时" in mine and "敬老院助餐" in mine


def test_reject_and_correct_from_the_queue(setup: dict[str, Any]) -> None:
    from .conftest import submit

    organiser = client_for(setup["community_a"])
    first, second = submit(setup), submit(setup)
    organiser.post(f"/activities/records/{first.pk}/reject/", {"reason": "未到场"})
    organiser.post(f"/activities/records/{second.pk}/verify/")
    organiser.post(f"/activities/records/{second.pk}/correct/", {"reason": "重复登记"})
    first.refresh_from_db()
    assert (first.status, first.reason) == (RecordStatus.REJECTED, "未到场")
    assert ServiceRecord.objects.filter(corrects=second, minutes=-second.minutes).exists()
    assert Balance.objects.get(account__volunteer=setup["vol"]).amount == 0
    # Another community's worker cannot act on the record.
    other = client_for(setup["community_b"])
    assert other.post(f"/activities/records/{first.pk}/verify/").status_code == 404


def test_sign_in_window_and_sign_out_needs_sign_in(setup: dict[str, Any]) -> None:
    activity, vol, user = setup["activity"], setup["vol"], setup["volunteer"]
    with time_machine.travel(START - timedelta(hours=3), tick=False):
        try:
            services.sign_in(activity=activity, volunteer=vol, actor=user)
        except services.Conflict as exc:
            assert exc.code == "activities.sign_in.closed"
        else:
            raise AssertionError("sign-in three hours early was accepted")
    with time_machine.travel(START, tick=False):
        try:
            services.sign_out(activity=activity, volunteer=vol, actor=user)
        except services.Conflict as exc:
            assert exc.code == "activities.sign_out.not_signed_in"
        else:
            raise AssertionError("sign-out without sign-in was accepted")
        services.sign_in(activity=activity, volunteer=vol, actor=user)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        done = services.sign_out(activity=activity, volunteer=vol, actor=user)
        again = services.sign_out(activity=activity, volunteer=vol, actor=user)
    assert done.record_id == again.record_id
    assert ServiceRecord.objects.count() == 1


def test_sign_out_after_the_end_counts_until_the_end(setup: dict[str, Any]) -> None:
    activity, vol, organiser = setup["activity"], setup["vol"], setup["community_a"]
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        services.sign_in(activity=activity, volunteer=vol, actor=organiser)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        done = services.sign_out(activity=activity, volunteer=vol, actor=organiser)
    assert done.signed_out_at == activity.ends_at
    assert done.record is not None and done.record.minutes == 3 * 60


def test_api_sign_in_and_out_with_the_scanned_token(setup: dict[str, Any]) -> None:
    activity = setup["activity"]
    api = client_for(setup["volunteer"])
    url = f"/api/v1/activities/{activity.pk}"
    with time_machine.travel(START, tick=False):
        assert api.post(f"{url}/signup").status_code == 201
        assert api.post(f"{url}/signup").status_code == 200
        token_out = services.scan_token(activity=activity, action="out")
        wrong = api.post(f"{url}/sign-in", {"token": token_out}, "application/json")
        assert wrong.status_code == 404
        token_in = services.scan_token(activity=activity, action="in")
        ok = api.post(f"{url}/sign-in", {"token": token_in}, "application/json")
        assert ok.status_code == 200 and ok.json()["signed_in_at"] is not None
        # Without a token a volunteer cannot sign somebody in.
        other = api.post(f"{url}/sign-in", {"volunteer": setup["vol"].pk}, "application/json")
        assert other.status_code == 404 or other.json()["volunteer"] == setup["vol"].pk
    with time_machine.travel(START + timedelta(minutes=50), tick=False):
        token_out = services.scan_token(activity=activity, action="out")
        out = api.post(f"{url}/sign-out", {"token": token_out}, "application/json")
        assert out.status_code == 200 and out.json()["record"] is not None
    sheet = client_for(setup["community_a"]).get(f"{url}/signups").json()
    assert [s["volunteer_name"] for s in sheet["items"]] == ["李志愿"]
    assert client_for(setup["community_b"]).get(f"{url}/signups").status_code == 404


def test_export_has_the_record_fields_and_is_formula_safe(setup: dict[str, Any]) -> None:
    from .conftest import submit

    record = submit(setup)
    ServiceRecord.objects.filter(pk=record.pk).update(content='=HYPERLINK("http://x")')
    services.record_verify(record=record, actor=setup["community_a"])
    response = client_for(setup["community_a"]).get("/activities/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, row = rows[0], rows[1]
    assert len(rows) == 2
    data = dict(zip(header, row, strict=True))
    assert data["志愿者姓名"] == "李志愿"
    assert data["证件号码"] and "*" in data["证件号码"]  # masked, never the full number
    assert data["志愿者编号"] == setup["vol"].number
    assert data["服务时长（小时）"] == 1.25 and data["路途时间（分钟，不计入时长）"] == 20
    assert data["服务内容"].startswith("'=")
    assert client_for(setup["volunteer"]).get("/activities/export/").status_code == 403
