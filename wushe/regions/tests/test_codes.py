import pytest
from hypothesis import given
from hypothesis import strategies as st

from wushe.core.errors import ValidationFailed
from wushe.regions import codes


@pytest.mark.parametrize(
    ("raw", "expected", "level"),
    [
        ("33", "330000000000", codes.Level.PROVINCE),
        ("3304", "330400000000", codes.Level.CITY),
        ("330481", "330481000000", codes.Level.COUNTY),
        ("330481001", "330481001000", codes.Level.TOWNSHIP),
        ("330481001007", "330481001007", codes.Level.COMMUNITY),
        (" 330481 ", "330481000000", codes.Level.COUNTY),
        ("330481000000", "330481000000", codes.Level.COUNTY),
        (330481001, "330481001000", codes.Level.TOWNSHIP),
        ("３３０４８１", "330481000000", codes.Level.COUNTY),
    ],
)
def test_normalize_pads_to_twelve_digits_and_reads_the_level(raw, expected, level):
    code = codes.normalize(raw)
    assert code == expected
    assert codes.level_of(code) == level


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "3",
        "33048",
        "3304810011",
        "abc",
        "33O481",
        "00",
        "330000001000",
        "330400001",
        "3304810010071",
        "٣٣٠٤٨١",
        None,
    ],
)
def test_malformed_codes_are_refused_with_a_stable_code(raw):
    with pytest.raises(ValidationFailed) as info:
        codes.normalize(raw)
    assert info.value.code == "region.code_invalid"
    assert info.value.status == 422


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("330481001000", "street"),  # 硖石街道 001
        ("330481101000", "town"),  # 许村镇 101
        ("330481250000", "township"),  # 乡 200–399
        ("330481450000", "township_other"),
        ("330481001007", "urban"),  # 南关厢社区 007
        ("330481101201", "rural"),  # 村 200–399
        ("330481101450", "community_other"),
        ("330481000000", ""),
    ],
)
def test_kinds_come_from_the_code_segments(code, kind):
    assert codes.kind_of(code) == kind


def test_scope_range_covers_exactly_the_descendants():
    low, high = codes.scope_range("330481001")
    assert (low, high) == ("330481001000", "330481001999")
    assert low <= "330481001007" <= high
    assert not (low <= "330481002001" <= high)
    assert codes.scope_range("33") == ("330000000000", "339999999999")


def test_ancestors_are_derived_from_the_code():
    assert codes.ancestor_codes("330481001007") == [
        "330000000000",
        "330400000000",
        "330481000000",
        "330481001000",
    ]
    assert codes.parent_code("330000000000") is None
    assert codes.significant_prefix("330481001000") == "330481001"


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("南关厢社区居委会", "南关厢社区"),
        ("东山社区居民委员会", "东山社区"),
        ("红旗村村委会", "红旗村"),
        ("联合村民委员会", "联合村"),
        ("城北居委会", "城北社区"),
        ("硖石街道", "硖石街道"),
    ],
)
def test_short_names_drop_the_committee_suffix(name, short):
    assert codes.short_name(name) == short


segments = st.tuples(
    st.integers(11, 99),
    st.integers(1, 99),
    st.integers(1, 99),
    st.integers(1, 599),
    st.integers(1, 599),
)


@given(segments, st.integers(1, 5))
def test_every_level_round_trips_through_its_prefix(parts, level):
    province, city, county, township, village = parts
    full = f"{province:02d}{city:02d}{county:02d}{township:03d}{village:03d}"
    prefix = full[: codes.SIGNIFICANT_DIGITS[level]]
    code = codes.normalize(prefix)
    assert codes.level_of(code) == level
    assert codes.significant_prefix(code) == prefix
    low, high = codes.scope_range(prefix)
    assert low <= full <= high
    for ancestor in codes.ancestor_codes(code):
        a_low, a_high = codes.scope_range(codes.significant_prefix(ancestor))
        assert a_low <= code <= a_high
