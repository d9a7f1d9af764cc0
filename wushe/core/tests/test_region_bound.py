"""RegionBound rows keep county_code equal to the first six digits of their region code."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from wushe.privacy.models import Consent
from wushe.testing import NANGUANXIANG


def _consent(**extra: object) -> Consent:
    consent = Consent(
        subject_type="residents.resident",
        subject_id=1,
        subject_label="张三",
        purpose="registry",
        given_on=date(2026, 1, 5),
        **extra,
    )
    return consent


@pytest.mark.django_db
def test_place_sets_region_and_county(regions: None) -> None:
    consent = _consent()
    consent.place(NANGUANXIANG)
    consent.save()
    consent.refresh_from_db()
    assert consent.region_id == NANGUANXIANG
    assert consent.county_code == "330481"


@pytest.mark.django_db
def test_database_refuses_a_county_code_that_disagrees_with_the_region(regions: None) -> None:
    consent = _consent()
    consent.region_id = NANGUANXIANG
    consent.county_code = "330482"
    with pytest.raises(IntegrityError), transaction.atomic():
        consent.save()
