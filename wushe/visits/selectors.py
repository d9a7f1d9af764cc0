"""Scoped reads of visits: due lists, overdue overviews and the monthly visit rate.

Every period is counted on Shanghai days (`Visit.visited_on`, `Enrolment.last_visited_on`),
never on the database's idea of "today": the caller passes `today`
(`timezone.localdate()` by default), so tests freeze one clock and every database agrees.

Due and overdue (per enrolment, `today` given):
- its *period* is the week / month / quarter of its frequency containing today; under an
  extreme-weather override covering its region today, the more frequent of the two;
- **pending**: no visit yet in the current period; its deadline (`due_by`) is the period's
  last day; **due soon** (the "week" list): pending with the deadline within seven days;
- **overdue**: the whole previous period of its *regular* frequency passed without a visit,
  and none since (enrolled before the current period began). An override tightens what is
  due, not what is already late: a week of storm warnings does not turn everyone visited
  last month into "overdue" on its first morning.

Monthly visit rate for a month (`monthly_visit_rate`), computed in the database:
- denominator: enrolments on the list the whole month (enrolled on or before its first day,
  not ended before its last) and due in it: weekly and monthly ones every month, quarterly ones
  in the quarter's last month;
- numerator: those of them visited as often as required: weekly ≥ 4 visits in the month,
  monthly ≥ 1 in the month, quarterly ≥ 1 in the quarter up to the month's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from wushe.accounts.roles import WORKER_ROLES
from wushe.accounts.scoping import NATIONWIDE, scope_prefixes, scope_q
from wushe.core.errors import NotFound
from wushe.regions import codes
from wushe.residents.models import Tag
from wushe.residents.rules import HIDDEN_TAG_LABEL, is_sensitive

from . import periods
from .models import (
    DEFAULT_FREQUENCY,
    DEFAULT_RULES,
    FREQUENCY_RANK,
    REQUIRED_PER_MONTH,
    Enrolment,
    Frequency,
    FrequencyPolicy,
    Visit,
    VisitRule,
    WeatherOverride,
)

BUCKET_WEEK = "week"
BUCKET_PENDING = "pending"
BUCKET_OVERDUE = "overdue"
BUCKET_ALL = "all"
BUCKETS = (BUCKET_WEEK, BUCKET_PENDING, BUCKET_OVERDUE, BUCKET_ALL)


def region_q(prefix: str, field: str = "region") -> Q:
    """Rows under a region given by its significant prefix ('' = everywhere)."""
    if not prefix:
        return Q()
    low, high = codes.scope_range(prefix)
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


def _visible_q(user: Any) -> Q | None:
    """Enrolments the user may see: WORKER_ROLES scope, plus the ones assigned to them.
    None = everything."""
    prefixes = scope_prefixes(user, WORKER_ROLES)
    if NATIONWIDE in prefixes:
        return None
    mine = Q(visitor_id=user.pk) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    if not prefixes:
        return mine
    return scope_q(user, "region", WORKER_ROLES) | mine


def enrolments_visible(*, user: Any) -> QuerySet[Enrolment]:
    q = _visible_q(user)
    qs = Enrolment.objects.all() if q is None else Enrolment.objects.filter(q)
    return qs.select_related("resident", "region", "visitor")


def enrolment_get(*, user: Any, enrolment_id: int) -> Enrolment:
    obj = enrolments_visible(user=user).filter(pk=enrolment_id).first()
    if obj is None:
        raise NotFound()
    return obj


def visit_get(*, user: Any, visit_id: int) -> Visit:
    visit = (
        Visit.objects.select_related("enrolment", "enrolment__resident", "region")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None or not user.has_perm("visits.view_enrolment", visit.enrolment):
        raise NotFound()
    return visit


def visits_of(enrolment: Enrolment) -> QuerySet[Visit]:
    return Visit.objects.filter(county_code=enrolment.county_code, enrolment=enrolment).order_by(
        "-visited_at", "-id"
    )


def tag_labels(user: Any, enrolment: Enrolment) -> list[str]:
    """The tags that put the person on the list, as the user may see them."""
    show_all = user.has_perm("residents.view_sensitive_tags", enrolment)
    labels: list[str] = []
    hidden = False
    for tag in enrolment.tags or []:
        if is_sensitive(tag) and not show_all:
            hidden = True
            continue
        labels.append(str(Tag(tag).label) if tag in Tag.values else tag)
    if hidden:
        labels.append(str(HIDDEN_TAG_LABEL))
    return labels


# --- plan resolution ------------------------------------------------------------------------


def _chain(region_code: str) -> list[str]:
    """The region and its ancestors, most specific first."""
    return [region_code, *reversed(codes.ancestor_codes(region_code))]


class Plan:
    """The enrolment rules and frequencies in force, resolved per community in memory: all
    VisitRule and FrequencyPolicy rows are read once (a few per region that changed a
    default), so enrolling a whole province costs two queries, not two per community."""

    def __init__(self, prefix: str = "") -> None:
        # Rows set on the prefix's region, its ancestors and anything below it.
        q = Q()
        if prefix:
            code = prefix.ljust(12, "0")
            q = Q(region_id__in=[*codes.ancestor_codes(code), code]) | region_q(prefix)
        self._rules: dict[str, dict[str, tuple[str, bool, bool]]] = {}
        for rule in VisitRule.objects.filter(q):
            self._rules.setdefault(rule.region_id, {})[rule.tag] = (
                rule.risk_level,
                rule.severe_only,
                rule.active,
            )
        self._freqs: dict[str, dict[str, str]] = {}
        for policy in FrequencyPolicy.objects.filter(q):
            self._freqs.setdefault(policy.region_id, {})[policy.risk_level] = policy.frequency
        self._rule_cache: dict[str, dict[str, tuple[str, bool, bool]]] = {}
        self._freq_cache: dict[str, dict[str, str]] = {}

    def rules(self, community: str) -> dict[str, tuple[str, bool, bool]]:
        """tag -> (risk level, severe only, active): per tag the most specific region's rule,
        else DEFAULT_RULES."""
        if community not in self._rule_cache:
            result = {tag: (risk, severe, True) for tag, (risk, severe) in DEFAULT_RULES.items()}
            for code in reversed(_chain(community)):  # province first, community last
                result.update(self._rules.get(code, {}))
            self._rule_cache[community] = result
        return self._rule_cache[community]

    def frequencies(self, community: str) -> dict[str, str]:
        """risk level -> regular frequency."""
        if community not in self._freq_cache:
            result = dict(DEFAULT_FREQUENCY)
            for code in reversed(_chain(community)):
                result.update(self._freqs.get(code, {}))
            self._freq_cache[community] = result
        return self._freq_cache[community]


def rules_for(region_code: str) -> dict[str, tuple[str, bool, bool]]:
    """The rules in force for one community (see Plan.rules)."""
    return Plan(region_code).rules(region_code)


def frequencies_for(region_code: str) -> dict[str, str]:
    """risk level -> regular frequency in force for one community."""
    return Plan(region_code).frequencies(region_code)


def overrides_active(*, prefix: str = "", today: date) -> list[WeatherOverride]:
    """Overrides in force today that cover any part of the region `prefix` (those set above it
    and those set inside it)."""
    if prefix:
        code = prefix.ljust(12, "0")
        q = Q(region_id__in=[*codes.ancestor_codes(code), code]) | region_q(prefix)
    else:
        q = Q()
    return list(
        WeatherOverride.objects.filter(q, starts_on__lte=today, ends_on__gte=today).select_related(
            "region"
        )
    )


def _effective_frequency(overrides: list[WeatherOverride]) -> Any:
    """An expression: the enrolment's frequency, tightened by the overrides covering it."""
    whens = []
    for override in sorted(overrides, key=lambda o: FREQUENCY_RANK[Frequency(o.frequency)]):
        rank = FREQUENCY_RANK[Frequency(override.frequency)]
        looser = [f for f, r in FREQUENCY_RANK.items() if r > rank]
        whens.append(
            When(
                region_q(codes.significant_prefix(override.region_id)) & Q(frequency__in=looser),
                then=Value(override.frequency),
            )
        )
    if not whens:
        return F("frequency")
    return Case(*whens, default=F("frequency"))


def _by_frequency(field: str, values: dict[str, date]) -> Case:
    return Case(
        *(When(**{field: f}, then=Value(d, output_field=DateField())) for f, d in values.items()),
        output_field=DateField(),
    )


def with_due(
    queryset: QuerySet[Enrolment], *, today: date, overrides: list[WeatherOverride]
) -> QuerySet[Any]:
    """Annotate `effective_frequency`, `period_start`, `due_by` (deadline of the current
    period), `regular_start` and `previous_start` (of the regular frequency), `pending` and
    `overdue` (booleans as 0/1)."""
    freqs = list(Frequency)
    qs: QuerySet[Any] = queryset
    qs = qs.annotate(effective_frequency=_effective_frequency(overrides))
    qs = qs.annotate(
        period_start=_by_frequency(
            "effective_frequency", {f: periods.period_start(f, today) for f in freqs}
        ),
        due_by=_by_frequency(
            "effective_frequency", {f: periods.period_end(f, today) for f in freqs}
        ),
        regular_start=_by_frequency(
            "frequency", {f: periods.period_start(f, today) for f in freqs}
        ),
        previous_start=_by_frequency(
            "frequency", {f: periods.previous_period_start(f, today) for f in freqs}
        ),
    )
    return qs.annotate(
        pending=Case(
            When(
                Q(last_visited_on__isnull=True) | Q(last_visited_on__lt=F("period_start")),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
        overdue=Case(
            When(
                (Q(last_visited_on__isnull=True) | Q(last_visited_on__lt=F("previous_start")))
                & Q(enrolled_on__lt=F("regular_start")),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )


def soon_end(today: date) -> date:
    """Last deadline of the "due soon" list: the next seven days. On a Monday that is this
    week; later in the week it also shows what falls due early next week (a monthly deadline
    on the 30th must not first appear on the 30th's Monday)."""
    return today + timedelta(days=6)


@dataclass(frozen=True)
class DueFilter:
    bucket: str = BUCKET_WEEK
    mine: bool = False
    region: str = ""  # significant prefix inside the user's scope
    group: str = ""
    q: str = ""  # part of a name


def due_list(*, user: Any, filters: DueFilter, today: date | None = None) -> QuerySet[Any]:
    """Current enrolments the user may see, annotated by `with_due`, in the chosen bucket,
    most urgent first (overdue, then by deadline)."""
    day = today or timezone.localdate()
    qs: QuerySet[Any] = enrolments_visible(user=user).filter(ended_on__isnull=True)
    if filters.mine:
        qs = qs.filter(visitor_id=user.pk)
    if filters.region:
        qs = qs.filter(region_q(filters.region))
    if filters.group:
        qs = qs.filter(group=filters.group)
    if filters.q:
        qs = qs.filter(resident__name__contains=filters.q)
    qs = with_due(qs, today=day, overrides=overrides_active(prefix=filters.region, today=day))
    if filters.bucket == BUCKET_WEEK:
        qs = qs.filter(pending=1, due_by__lte=soon_end(day))
    elif filters.bucket == BUCKET_PENDING:
        qs = qs.filter(pending=1)
    elif filters.bucket == BUCKET_OVERDUE:
        qs = qs.filter(overdue=1)
    return qs.order_by("-overdue", "-pending", "due_by", "region_id", "resident__name", "id")


def due_counts(*, user: Any, filters: DueFilter, today: date | None = None) -> dict[str, int]:
    """Counts of the buckets for the tabs, in one query."""
    day = today or timezone.localdate()
    base = due_list(
        user=user, filters=DueFilter(**{**filters.__dict__, "bucket": BUCKET_ALL}), today=day
    )
    week_end = soon_end(day)
    result = base.order_by().aggregate(
        n_all=Count("id"),
        n_pending=Count("id", filter=Q(pending=1)),
        n_week=Count("id", filter=Q(pending=1, due_by__lte=week_end)),
        n_overdue=Count("id", filter=Q(overdue=1)),
    )
    return {key[2:]: int(value or 0) for key, value in result.items()}


# --- overview and rate ----------------------------------------------------------------------


def _visits_between(lo: date, hi: date) -> Any:
    """Subquery: visits of the outer enrolment on Shanghai days lo..hi."""
    return Coalesce(
        Subquery(
            Visit.objects.filter(
                county_code=OuterRef("county_code"),
                enrolment_id=OuterRef("pk"),
                visited_on__gte=lo,
                visited_on__lte=hi,
            )
            .order_by()
            .values("enrolment_id")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _month_terms(first: date) -> tuple[Any, Any]:
    """(due, met) expressions for one month, 1 or 0 per enrolment row (module docstring)."""
    last = periods.month_end(first)
    due = Q(enrolled_on__lte=first) & (Q(ended_on__isnull=True) | Q(ended_on__gte=last))
    if not periods.is_quarter_end_month(first):
        due &= ~Q(frequency=Frequency.QUARTERLY)
    in_month = _visits_between(first, last)
    in_quarter = _visits_between(periods.quarter_start(first), last)
    one, zero = Value(1), Value(0)
    due_expr = Case(When(due, then=one), default=zero, output_field=IntegerField())
    met_expr = Case(
        When(
            due & Q(frequency=Frequency.WEEKLY),
            then=Case(
                When(GreaterThanOrEqual(in_month, REQUIRED_PER_MONTH[Frequency.WEEKLY]), then=one),
                default=zero,
            ),
        ),
        When(
            due & Q(frequency=Frequency.MONTHLY),
            then=Case(
                When(GreaterThanOrEqual(in_month, REQUIRED_PER_MONTH[Frequency.MONTHLY]), then=one),
                default=zero,
            ),
        ),
        When(
            due & Q(frequency=Frequency.QUARTERLY),
            then=Case(
                When(
                    GreaterThanOrEqual(in_quarter, REQUIRED_PER_MONTH[Frequency.QUARTERLY]),
                    then=one,
                ),
                default=zero,
            ),
        ),
        default=zero,
        output_field=IntegerField(),
    )
    return due_expr, met_expr


def rate_rows(first_month: date, last_month: date, group: str = "") -> QuerySet[Enrolment]:
    """Enrolments that may be due in some month from `first_month` to `last_month` (first
    days), with two aliases: `due_months` (months of the span in which each was due) and
    `met_months` (of those, months in which it was visited as often as required). Summing them
    per region gives the visit rate over the span in person-months; for one month, the monthly
    visit rate. Not filtered by region, not evaluated: the indicator engine and the selectors
    below add the region and aggregate in the database."""
    months: list[date] = []
    cursor = periods.month_start(first_month)
    while cursor <= last_month:
        months.append(cursor)
        cursor = periods.next_month(cursor)
    qs = Enrolment.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=periods.month_end(months[0])),
        enrolled_on__lte=months[-1],
    )
    if group:
        qs = qs.filter(group=group)
    terms = [_month_terms(m) for m in months]
    due_sum = terms[0][0]
    met_sum = terms[0][1]
    for due_expr, met_expr in terms[1:]:
        due_sum = due_sum + due_expr
        met_sum = met_sum + met_expr
    return qs.annotate(due_months=due_sum, met_months=met_sum)


def _rate_aggregates() -> dict[str, Any]:
    return {"num": Sum("met_months"), "den": Sum("due_months")}


@dataclass(frozen=True)
class Rate:
    """numerator / denominator; `value` is None when nobody was due (not 0%)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        if not self.denominator:
            return None
        return self.numerator / self.denominator


def monthly_visit_rate(*, prefix: str, month: date, group: str = "") -> Rate:
    """The monthly visit rate of a region (significant prefix; '' = everywhere) for the month
    containing `month` (see the module docstring). No scope check: callers check who asks."""
    first = periods.month_start(month)
    row = rate_rows(first, first, group).filter(region_q(prefix)).aggregate(**_rate_aggregates())
    return Rate(numerator=int(row["num"] or 0), denominator=int(row["den"] or 0))


def monthly_visit_rate_by_region(
    *, prefix: str, month: date, digits: int, group: str = ""
) -> dict[str, Rate]:
    """The rate per sub-region: keys are the first `digits` digits of the community code
    (2 province, 4 city, 6 county, 9 township, 12 community). Regions with nobody due are
    absent."""
    first = periods.month_start(month)
    rows = (
        rate_rows(first, first, group)
        .filter(region_q(prefix))
        .order_by()
        .values(area=Substr("region_id", 1, digits))
        .annotate(num=Sum("met_months"), den=Sum("due_months"))
    )
    return {
        row["area"]: Rate(numerator=int(row["num"] or 0), denominator=int(row["den"] or 0))
        for row in rows
    }


@dataclass(frozen=True)
class CommunityOverview:
    code: str
    name: str
    enrolled: int
    pending: int
    overdue: int
    rate: Rate  # this month so far
    last_rate: Rate  # last month, complete


def overview_by_community(
    *, user: Any, prefix: str = "", today: date | None = None
) -> list[CommunityOverview]:
    """Per community in the user's scope (under `prefix`): people enrolled, pending, overdue
    today, and this month's visit rate so far. Communities with the most overdue first."""
    from wushe.regions.models import Region

    day = today or timezone.localdate()
    qs = Enrolment.objects.filter(scope_q(user, "region", WORKER_ROLES), ended_on__isnull=True)
    if prefix:
        qs = qs.filter(region_q(prefix))
    qs = with_due(qs, today=day, overrides=overrides_active(prefix=prefix, today=day))
    rows = list(
        qs.order_by()
        .values("region_id")
        .annotate(
            n_enrolled=Count("id"),
            n_pending=Count("id", filter=Q(pending=1)),
            n_overdue=Count("id", filter=Q(overdue=1)),
        )
    )
    rates: dict[str, Rate] = {}
    last_rates: dict[str, Rate] = {}
    last_month = periods.month_start(day) - timedelta(days=1)
    for part in [prefix] if prefix else scope_prefixes(user, WORKER_ROLES):
        rates.update(monthly_visit_rate_by_region(prefix=part, month=day, digits=12))
        last_rates.update(monthly_visit_rate_by_region(prefix=part, month=last_month, digits=12))
    names = dict(
        Region.objects.filter(code__in=[r["region_id"] for r in rows]).values_list("code", "name")
    )
    result = [
        CommunityOverview(
            code=row["region_id"],
            name=names.get(row["region_id"], row["region_id"]),
            enrolled=row["n_enrolled"],
            pending=row["n_pending"],
            overdue=row["n_overdue"],
            rate=rates.get(row["region_id"], Rate(0, 0)),
            last_rate=last_rates.get(row["region_id"], Rate(0, 0)),
        )
        for row in rows
    ]
    result.sort(key=lambda c: (-c.overdue, -c.pending, c.code))
    return result


def eligible_visitors(enrolment: Enrolment) -> list[tuple[int, str, str]]:
    """(user id, display name, role) of users who may be made responsible for visiting the
    enrolment: a live grant of a visitor role on its community or above."""
    from wushe.accounts.models import RoleGrant

    from .rules import VISITOR_ROLES

    chain = [enrolment.region_id, *codes.ancestor_codes(enrolment.region_id)]
    rows = (
        RoleGrant.objects.filter(
            role__in=sorted(VISITOR_ROLES), region_id__in=chain, revoked_at__isnull=True
        )
        .select_related("user")
        .order_by("role", "user__display_name", "user_id")
    )
    seen: set[int] = set()
    result: list[tuple[int, str, str]] = []
    for grant in rows:
        if grant.user_id in seen or not grant.user.is_active:
            continue
        seen.add(grant.user_id)
        result.append(
            (grant.user_id, grant.user.display_name or grant.user.get_username(), grant.role)
        )
    return result
