from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from wushe.core.identifiers import credit_code_check_char
from wushe.organizations.models import LegalStatus, Organization, OrgKind
from wushe.organizations.services import OrganizationFacts, organization_create
from wushe.regions.models import Region
from wushe.testing import DONGSHAN, HAINING, NANGUANXIANG, PASSWORD, XIASHI


def credit_code(head17: str) -> str:
    """A credit code with a correct check character (GB 32100)."""
    return head17 + credit_code_check_char(head17)


# Civil-affairs codes (5 + type + Haining + organisation code with a valid check digit).
CODE_AGENCY = credit_code("52330481MJ0000018")  # 社会服务机构
CODE_ASSOCIATION = credit_code("51330481MJ0000026")  # 社会团体
CODE_OTHER = credit_code("52330481MJ0000034")


def signed_in(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def make_org(actor, *, legal_status=LegalStatus.FILED, **facts) -> Organization:
    return organization_create(
        facts=OrganizationFacts(**facts), legal_status=legal_status, actor=actor
    )


@pytest.fixture
def haizhou_community(regions) -> str:
    return (
        Region.objects.filter(code__startswith="330481002", level=5)
        .order_by("code")
        .values_list("code", flat=True)
        .first()
    )


@pytest.fixture
def orgs(role_users, haizhou_community):
    """Organisations placed around the test users:
    - nan: filed community org, filed with 硖石街道, serving 南关厢
    - dong: filed community org, filed with 硖石街道, serving 东山
    - agency_nan: county-registered service agency serving 南关厢 (coverage-based visibility)
    - haizhou: county-registered agency serving a 海洲街道 community only
    - own: the org staff user's organisation (硖石街道, no coverage)"""
    admin = role_users["admin"]
    nan = make_org(
        admin,
        name="南关厢邻里互助队",
        region=XIASHI,
        coverage=[NANGUANXIANG],
        filing_number="硖石备2023第001号",
        contact_name="周阿姨",
        contact_phone="13812345678",
    )
    dong = make_org(
        admin,
        name="东山夕阳红文体队",
        region=XIASHI,
        coverage=[DONGSHAN],
        category="culture_sports",
    )
    agency_nan = make_org(
        admin,
        legal_status=LegalStatus.REGISTERED,
        name="海宁市善行社会工作服务中心",
        region=HAINING,
        org_kind=OrgKind.SERVICE_AGENCY,
        credit_code=CODE_AGENCY,
        coverage=[NANGUANXIANG],
        registered_on=date(2015, 3, 1),
        contact_name="陈干事",
        contact_phone="13912345678",
    )
    haizhou = make_org(
        admin,
        legal_status=LegalStatus.REGISTERED,
        name="海宁市海洲社会工作服务社",
        region=HAINING,
        org_kind=OrgKind.SERVICE_AGENCY,
        credit_code=CODE_OTHER,
        coverage=[haizhou_community],
        registered_on=date(2016, 5, 1),
    )
    own = role_users["org_staff"].grants.get().organization
    return {"nan": nan, "dong": dong, "agency_nan": agency_nan, "haizhou": haizhou, "own": own}
