"""Periods, incremental refresh and the rebuild command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from wushe.core.errors import ValidationFailed
from wushe.indicators import engine, refresh
from wushe.indicators.models import DirtyMark, IndicatorValue
from wushe.indicators.periods import Kind, Period
from wushe.stations.models import ServiceStation, StationKind

from .conftest import C2, T1, World


@pytest.mark.parametrize(
    ("text", "key", "first", "end"),
    [
        ("2026-10", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 11, 1)),
        ("2026-12", "2026-12", dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
        ("2026-q4", "2026-Q4", dt.date(2026, 10, 1), dt.date(2027, 1, 1)),
        ("2026-Q1", "2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
        (" 2026 ", "2026", dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    ],
)
def test_period_parsing(text, key, first, end):
    period = Period.parse(text)
    assert period.key == key
    assert (period.first_day, period.end_day) == (first, end)
    assert period.start.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-Q5", "26-10", "2026/10", "", "abc", "1999"]
)
def test_bad_periods_are_refused(text):
    with pytest.raises(ValidationFailed) as caught:
        Period.parse(text)
    assert caught.value.code == "indicators.period_invalid"


def test_trend_crosses_years():
    assert [p.key for p in Period.parse("2026-02").trend(4)] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert Period.parse("2026-Q1").previous() == Period(2025, Kind.QUARTER, 4)


def _snapshot() -> set[tuple[str, str, str, str, str]]:
    return {
        (v.indicator, v.period, v.region, f"{v.numerator:.4f}", f"{v.denominator:.4f}")
        for v in IndicatorValue.objects.all()
    }


@pytest.mark.django_db
def test_change_marks_the_county_and_sweep_equals_rebuild(world: World):
    engine.compute(years=[2026])
    DirtyMark.objects.all().delete()
    placed = ServiceStation(kind=StationKind.VOLUNTEER, name="新站点", service_area_m2=20)
    placed.place(C2)
    placed.save()
    assert list(DirtyMark.objects.values_list("county", flat=True)) == ["330481"]
    refresh.sweep(years=[2026])
    assert not DirtyMark.objects.exists()
    swept = _snapshot()
    engine.compute(years=[2026])
    assert swept == _snapshot()  # the incremental result is exactly the full rebuild's
    row = IndicatorValue.objects.get(
        indicator="stations.volunteer_post_coverage", period="*", region=T1
    )
    assert row.numerator == 2


@pytest.mark.django_db
def test_refresh_of_a_township_keeps_ancestors_consistent(world: World):
    engine.compute(years=[2026])
    ServiceStation.objects.filter(name="南关厢站点").update(active=False)
    engine.compute(years=[2026], prefix=T1[:9])
    swept = _snapshot()
    engine.compute(years=[2026])
    assert swept == _snapshot()


@pytest.mark.django_db
def test_rebuild_command(world: World, capsys):
    call_command("indicators", "rebuild", "--year", "2026")
    assert "rebuilt" in capsys.readouterr().out
    assert IndicatorValue.objects.filter(period="2026-Q4").exists()


@pytest.mark.django_db
def test_a_broken_definition_does_not_stop_the_others(world: World):
    from wushe.indicators.registry import Indicator, Measure, register, unregister

    def broken(period: Period):
        return ServiceStation.objects.filter(no_such_field=1)

    register(Indicator(code="tests.broken", name="坏指标", unit="个", numerator=Measure(broken)))
    try:
        run = engine.compute(years=[2026])
    finally:
        unregister("tests.broken")
    assert run.failed == ["tests.broken"]
    assert IndicatorValue.objects.filter(indicator="stations.volunteer_post_coverage").exists()


@pytest.mark.django_db
def test_a_rebuild_keeps_other_years_and_the_table_stays_sound(world: World):
    from django.db import IntegrityError, connection, transaction

    engine.compute(years=[2025, 2026])
    last_year = {v for v in _snapshot() if v[1].startswith("2025")}
    assert last_year  # the fixtures count something in 2025 (snapshot indicators at least)
    first = _snapshot()
    engine.compute(years=[2026])  # on PostgreSQL: a fresh table swapped in
    assert {v for v in _snapshot() if v[1].startswith("2025")} == last_year
    assert _snapshot() == first
    engine.compute(years=[2026])  # and again, on the swapped-in table
    assert _snapshot() == first
    row = IndicatorValue.objects.filter(period="2026").first()
    assert row is not None
    added = IndicatorValue.objects.create(indicator="tests.new", period="2026", region=row.region)
    assert added.pk is not None  # the identity default still numbers new rows
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.create(indicator=row.indicator, period="2026", region=row.region)
    with connection.cursor() as cursor:
        names = set(connection.introspection.get_constraints(cursor, IndicatorValue._meta.db_table))
    assert "indicator_value_unique" in names
