"""Stars derive from verified hours with the thresholds of domain.md §4 (configurable)."""

import pytest
from django.test import override_settings

from wushe.volunteers.models import Volunteer
from wushe.volunteers.stars import DEFAULT_STAR_HOURS, next_star_hours, stars_for_minutes


@pytest.mark.parametrize(
    ("hours", "stars"),
    [
        (0, 0),
        (99, 0),
        (100, 1),
        (299, 1),
        (300, 2),
        (600, 3),
        (999, 3),
        (1000, 4),
        (1500, 5),
        (5000, 5),
    ],
)
def test_thresholds(hours, stars):
    assert stars_for_minutes(hours * 60) == stars


def test_partial_hours_do_not_count():
    assert stars_for_minutes(100 * 60 - 1) == 0
    assert next_star_hours(0) == 100
    assert next_star_hours(1500 * 60) is None


def test_the_model_derives_stars_from_the_cache():
    volunteer = Volunteer(verified_minutes=301 * 60)
    assert volunteer.stars == 2
    assert str(volunteer.verified_hours) == "301.0"
    assert Volunteer().stars == 0


def test_thresholds_live_in_one_place_and_are_configurable(settings):
    assert DEFAULT_STAR_HOURS == (100, 300, 600, 1000, 1500)
    with override_settings(WUSHE={**settings.WUSHE, "VOLUNTEER_STAR_HOURS": (10, 20)}):
        assert stars_for_minutes(20 * 60) == 2
        assert Volunteer(verified_minutes=15 * 60).stars == 1
