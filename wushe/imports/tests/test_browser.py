"""A community worker brings in the spreadsheet they kept until now, in headless Chromium:
download nothing, upload a messy .xlsx, read the per-row problems, confirm, find the people in
the residents register, and reveal one ID number with a reason (audited)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from wushe.audit.models import AuditEvent
from wushe.browser import browser_page, screenshot
from wushe.residents.models import Resident
from wushe.testing import NANGUANXIANG, PASSWORD, ensure_haining_regions, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD_ID = "330481195203150025"  # valid check character
EXCEL_ID = 3.30481195203151e17  # an ID number Excel turned into a number: digits lost


def messy_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["南关厢社区居民花名册"])  # a title row above the header
    ws.merge_cells("A1:E1")
    ws.append(["姓名", "身份证号", "手机号码", "所属社区", "困难群体标签"])
    ws.append(["王秀英", GOOD_ID, "138 1234 5678", NANGUANXIANG, "独居老人"])
    ws.append([])  # an empty row
    ws.append(["李建国", EXCEL_ID, "", NANGUANXIANG, ""])
    # Full-width digits from a Chinese input method, a lower-case x, the community by name.
    ws.append(["赵桂兰", " ３３０４８１１９６００１０１０１５x ", "", "南关厢社区", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_worker_imports_a_messy_sheet_and_reveals_one_id(live_server, tmp_path):
    ensure_haining_regions()
    make_user("zhou", "community_worker", NANGUANXIANG)
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(messy_workbook())
    base = live_server.url
    with browser_page(viewport={"width": 1280, "height": 900}) as page:
        page.goto(f"{base}/")
        page.get_by_label("用户名").fill("zhou")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/")

        page.get_by_role("navigation", name="主导航").get_by_role("link", name="表格导入").click()
        page.get_by_label("导入类型").select_option(label="居民")
        page.get_by_label("表格文件").set_input_files(str(path))
        page.get_by_role("button", name="上传并预览").click()
        page.get_by_role("heading", name="问题清单").wait_for()
        issues = page.locator("table").last.inner_text()
        # The Excel-number ID is refused with the reason, on its real row (row 5).
        assert "5" in issues and "文本" in issues
        assert "resident.id_number.excel_number" in issues
        assert Resident.objects.count() == 0  # preview writes nothing
        screenshot(page, "import-preview")

        page.get_by_role("button", name="确认导入").click()
        page.get_by_role("heading", name="导入结果").wait_for()
        assert Resident.objects.filter(region_id=NANGUANXIANG).count() == 2

        page.goto(f"{base}/residents/")
        listing = page.locator("table").inner_text()
        assert "王秀英" in listing and "赵桂兰" in listing and "李建国" not in listing
        assert GOOD_ID not in page.content()  # masked in the list
        assert "3304**********0025" in listing
        page.get_by_role("link", name="王秀英").click()
        page.get_by_role("heading", name="基本信息").wait_for()
        page.locator("details.reveal summary").first.click()
        page.get_by_label("查看事由（将记入审计日志）").first.fill("核对低保申请材料")
        page.get_by_role("button", name="确认查看").first.click()
        page.get_by_text(GOOD_ID).wait_for()
        screenshot(page, "resident-revealed")

    event = AuditEvent.objects.get(action="privacy.personal.revealed")
    assert event.changes["reason"] == "核对低保申请材料"
    assert event.actor.username == "zhou"
