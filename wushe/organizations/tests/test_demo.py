import random

import pytest
from django.utils import timezone

from wushe.core.identifiers import parse_credit_code
from wushe.demo.services import STEPS, DemoContext
from wushe.organizations.demo import organizations_registry_demo
from wushe.organizations.models import GradeState, LegalStatus, Organization, OrganizationContact
from wushe.organizations.selectors import community_organization_counts
from wushe.regions.models import Region
from wushe.testing import DONGSHAN, NANGUANXIANG, XIASHI

pytestmark = pytest.mark.django_db


def load(seed=5, scale=1.0):
    main, _ = Organization.objects.get_or_create(
        region_id=XIASHI, name="海宁市硖石街道善行社会工作服务中心"
    )
    ctx = DemoContext(seed=seed, scale=scale, rng=random.Random(seed), password="x")
    ctx.organizations["main"] = main
    organizations_registry_demo(ctx)
    return ctx


def snapshot():
    return (
        sorted(
            Organization.objects.values_list(
                "name", "region_id", "legal_status", "credit_code", "grade", "is_hub"
            )
        ),
        sorted(
            Organization.coverage.through.objects.values_list("organization__name", "region_id")
        ),
        OrganizationContact.objects.count(),
    )


def test_step_is_registered_after_the_skeleton_organisations():
    names = [name for name, _step in STEPS]
    assert names.index("organizations_registry") > names.index("organizations")


def test_demo_is_idempotent_and_plausible(regions):
    load()
    first = snapshot()
    load()
    assert snapshot() == first

    counts = {r.code: (r.kind, r.org_count) for r in community_organization_counts(prefix="330481")}
    urban = [n for kind, n in counts.values() if kind == Region.Kind.URBAN]
    rural = [n for kind, n in counts.values() if kind == Region.Kind.RURAL]
    assert any(n >= 10 for n in urban) and any(n < 10 for n in urban)
    assert any(n >= 5 for n in rural) and any(n < 5 for n in rural)

    orgs = Organization.objects.all()
    assert (
        orgs.filter(org_kind="community", legal_status="filed").count()
        > orgs.filter(org_kind="community", legal_status="registered").count()
        > 0
    )
    assert orgs.filter(is_hub=True, org_kind="community").exists()
    assert orgs.filter(is_social_work_agency=True, legal_status="registered").count() >= 3
    assert orgs.filter(org_kind="foundation").count() == 2
    today = timezone.localdate()
    states = {o.grade_state(today) for o in orgs.exclude(grade="")}
    assert GradeState.EXPIRING in states and GradeState.VALID in states
    for code in orgs.exclude(credit_code="").values_list("credit_code", flat=True)[:50]:
        parse_credit_code(code)  # every demo code passes GB 32100
    assert not orgs.filter(legal_status=LegalStatus.REGISTERED, credit_code="").exists()

    main = orgs.get(name="海宁市硖石街道善行社会工作服务中心")
    assert (main.legal_status, main.grade, main.is_social_work_agency) == ("registered", "4A", True)
    covered = set(main.coverage.values_list("code", flat=True))
    assert NANGUANXIANG in covered and DONGSHAN not in covered
    assert main.contacts.get().phone_masked.startswith("138")


def test_demo_scales(regions):
    load(scale=0.2)
    small = Organization.objects.count()
    Organization.objects.all().delete()
    load(scale=0.5)
    assert Organization.objects.count() > small
