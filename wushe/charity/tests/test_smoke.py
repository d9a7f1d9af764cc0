import pytest

pytestmark = pytest.mark.django_db


def test_setup_builds(charity):
    assert charity["foundation"].purposes.count() == 2
