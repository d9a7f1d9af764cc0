"""Shared set-up for the charity tests: Haining funds, stores and donors made through the
services by an admin, plus a second county (海盐县) to prove that scope stops at the border."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from wushe.charity import services
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary
from wushe.testing import HAINING, NANGUANXIANG, XIASHI, make_user

HAIYAN = "330424000000"
HAIYAN_TOWN = "330424001000"
PERSON_ID = "11010519491231002X"
PERSON_PHONE = "13812345678"
ENTERPRISE_CODE = "91330481MA2B3C4D14"
OTHER_ENTERPRISE_CODE = "91330481123456788A"


def term(code: str) -> Term:
    return Term.objects.get(vocabulary=Vocabulary.SERVICE_CATEGORY, code=code)


@pytest.fixture
def other_county(regions: None) -> str:
    jiaxing = Region.objects.get(code="330400000000")
    county, _ = Region.objects.get_or_create(
        code=HAIYAN,
        defaults={"name": "海盐县", "short_name": "海盐", "level": 3, "parent": jiaxing},
    )
    Region.objects.get_or_create(
        code=HAIYAN_TOWN,
        defaults={"name": "武原街道", "short_name": "武原", "level": 4, "parent": county},
    )
    return HAIYAN


@pytest.fixture
def admin_user(regions: None) -> Any:
    return make_user("charity_admin", "admin", None)


@pytest.fixture
def charity(role_users: dict[str, Any], admin_user: Any, other_county: str) -> dict[str, Any]:
    """Haining: a restricted county foundation, an unrestricted 硖石 micro-fund, a store of
    南关厢社区 and one of 硖石街道, a person and an enterprise donor. 海盐: a fund, a store, a
    donor."""
    actor = admin_user
    foundation = services.fund_create(
        region_code=HAINING,
        kind="foundation",
        name="海宁市社区发展基金会",
        opened_on=date(2019, 6, 18),
        purposes=[term("elderly_care"), term("child_welfare")],
        actor=actor,
    )
    micro = services.fund_create(
        region_code=XIASHI, kind="micro", name="硖石街道社区微基金", actor=actor
    )
    store_a = services.store_create(
        region_code=NANGUANXIANG,
        name="南关厢社区爱心超市",
        address="南关厢社区服务中心",
        actor=actor,
    )
    store_town = services.store_create(region_code=XIASHI, name="硖石街道爱心超市", actor=actor)
    rice = services.store_item_create(
        store=store_a, name="大米 5kg", unit="袋", points_price=120, stock=10, actor=actor
    )
    towel = services.store_item_create(
        store=store_a, name="毛巾", unit="条", points_price=20, stock=0, active=False, actor=actor
    )
    oil = services.store_item_create(
        store=store_town, name="食用油 5L", unit="桶", points_price=150, stock=8, actor=actor
    )
    person = services.donor_create(
        region_code=HAINING,
        kind="person",
        name="沈建国",
        phone=PERSON_PHONE,
        id_number=PERSON_ID,
        actor=actor,
    )
    enterprise = services.donor_create(
        region_code=HAINING,
        kind="enterprise",
        name="海宁宏达皮革有限公司",
        credit_code=ENTERPRISE_CODE,
        contact_name="朱经理",
        actor=actor,
    )
    haiyan_fund = services.fund_create(
        region_code=HAIYAN, kind="foundation", name="海盐县慈善基金", actor=actor
    )
    haiyan_store = services.store_create(
        region_code=HAIYAN_TOWN, name="武原街道爱心超市", actor=actor
    )
    haiyan_donor = services.donor_create(
        region_code=HAIYAN, kind="person", name="海盐捐赠人", actor=actor
    )
    return {
        "actor": actor,
        "foundation": foundation,
        "micro": micro,
        "store_a": store_a,
        "store_town": store_town,
        "rice": rice,
        "towel": towel,
        "oil": oil,
        "person": person,
        "enterprise": enterprise,
        "haiyan_fund": haiyan_fund,
        "haiyan_store": haiyan_store,
        "haiyan_donor": haiyan_donor,
    }


@pytest.fixture
def haiyan_staff(other_county: str) -> Any:
    return make_user("haiyan_charity", "charity_staff", HAIYAN)
