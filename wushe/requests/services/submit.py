"""Submitting a request: validation, priority, deadlines from the policy, the human number,
photos, and the idempotency key. Kept lean (docs: ≥ 500 submissions/s on PostgreSQL): a
handful of queries, no per-row loops."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.roles import WORKER_ROLES, Role
from wushe.accounts.scoping import has_role, in_scope
from wushe.core import fastsql
from wushe.core.errors import DomainError
from wushe.core.idempotency import fingerprint, idempotent_create
from wushe.core.images import AcceptedImage
from wushe.indicators import refresh
from wushe.notifications.services import enabled_channels
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.taxonomy.models import Term, Vocabulary

from .. import rules
from ..models import (
    DEFAULT_AUTO_CLOSE_DAYS,
    DEFAULT_HOURS,
    DEFAULT_REOPEN_DAYS,
    Channel,
    DeadlinePolicy,
    EventKind,
    PhotoStage,
    Request,
    Status,
    Urgency,
)
from ._common import (
    ENTITY,
    Errors,
    audit,
    column,
    community_workers,
    event,
    schedule,
    tell,
    text,
)
from .photos import delete_files, record_photos, store_files

MAX_PHOTOS = 9
URGENCY_PRIORITY: dict[str, int] = {Urgency.NORMAL: 10, Urgency.URGENT: 20, Urgency.CRITICAL: 30}
TAG_PRIORITY = 5  # per current vulnerable-group tag of the resident concerned …
TAG_PRIORITY_MAX = 3  # … counting at most this many
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
# Communities seen by this process: regions are reference data that is never deleted
# (PROTECT), so a memo saves a query per submission. A renamed region shows its old name in
# submission answers until the process restarts (pages and the detail read it fresh).
_known_communities: dict[str, Region] = {}


@dataclass(frozen=True)
class Policy:
    accept_hours: int
    resolve_hours: int
    auto_close_days: int
    reopen_days: int


def policy_for(region_code: str, category_id: int | None, urgency: str) -> Policy:
    """The DeadlinePolicy for a request: most specific region, then one naming the category,
    else the defaults (DEFAULT_HOURS per urgency)."""
    chain = [*codes.ancestor_codes(region_code), region_code]
    rows = list(
        DeadlinePolicy.objects.filter(region_id__in=chain, urgency=urgency)
        .filter(Q(category_id=category_id) | Q(category__isnull=True))
        .values_list(
            "region_id",
            "category_id",
            "accept_hours",
            "resolve_hours",
            "auto_close_days",
            "reopen_days",
        )
    )
    if not rows:
        return _default_policy(urgency)
    best = max(rows, key=lambda r: (codes.level_of(r[0]), r[1] is not None))
    return Policy(best[2], best[3], best[4], best[5])


def new_number(county_code: str, at: datetime) -> str:
    """County + local date + 8 random base32 characters: unique per county without a
    counter row that every submission would have to lock (§6.3.4)."""
    tail = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
    return f"{county_code}{timezone.localtime(at):%y%m%d}{tail}"


def _region(raw: object, actor: Any, channel: str, errors: Errors) -> str:
    try:
        region = codes.normalize(raw)
    except DomainError:
        errors.add("region", f"{ENTITY}.region.invalid", _("请选择有效的社区。"))
        return ""
    if codes.level_of(region) != codes.Level.COMMUNITY:
        errors.add("region", f"{ENTITY}.region.level", _("诉求应提交到具体的社区（村）。"))
        return ""
    if region not in _known_communities:
        found = Region.objects.filter(code=region).only("code", "name", "short_name").first()
        if found is None:
            errors.add(
                "region", f"{ENTITY}.region.not_found", _("区划不存在：%(c)s") % {"c": region}
            )
            return ""
        _known_communities[region] = found
    if not rules.may_submit_in(actor, region, self_service=channel == Channel.SELF_SERVICE):
        if channel != Channel.SELF_SERVICE and in_scope(actor, region, {Role.RESIDENT}):
            errors.add(
                "channel",
                f"{ENTITY}.channel.not_allowed",
                _("居民只能通过“居民自助”渠道提交诉求。"),
            )
        else:
            errors.add("region", f"{ENTITY}.region.out_of_scope", _("该社区不在您的管辖范围内。"))
        return ""
    return region


_TERM_FIELDS = ("id", "vocabulary", "code", "name", "name_en", "order", "active")
_POLICY_FIELDS = ("accept_hours", "resolve_hours", "auto_close_days", "reopen_days")
_BIGINT_MAX = 2**63 - 1


def _category_and_policy(
    raw: object, region_code: str, urgency: str, errors: Errors, reserve: str | None = None
) -> tuple[Term | None, Policy, int | None]:
    """The active request-category term named by code (or id) and the DeadlinePolicy that
    applies to it in `region_code` (same choice as `policy_for`), in ONE statement: the
    submission hot path (≥ 500/s) saves a round trip and an ORM compilation. Raw SQL because
    the ORM cannot pick "the best policy row" in a join; tested against `policy_for`."""
    value = str(getattr(raw, "pk", raw) or "").strip()
    if not value:
        errors.add("category", f"{ENTITY}.category.required", _("请选择诉求类别。"))
        return None, _default_policy(urgency), None
    chain = [*codes.ancestor_codes(region_code), region_code] if region_code else ["-"]
    term_table = connection.ops.quote_name(Term._meta.db_table)
    policy_table = connection.ops.quote_name(DeadlinePolicy._meta.db_table)
    q = connection.ops.quote_name
    columns = ", ".join(f"t.{q(f)}" for f in _TERM_FIELDS)
    policy_columns = ", ".join(f"p.{q(f)}" for f in _POLICY_FIELDS)
    by_code_or_id = f"t.{q('code')} = %s"
    params: list[str | int | bool] = [*chain, urgency, Vocabulary.REQUEST_CATEGORY, True, value]
    if value.isdigit() and int(value) <= _BIGINT_MAX:
        by_code_or_id = f"({by_code_or_id} OR t.{q('id')} = %s)"
        params.append(int(value))
    # Among the policies of the urgency in the region's chain: the most specific region (all
    # codes are 12 digits and ancestors are zero-padded prefixes, so a descendant sorts
    # after its ancestors), then one naming the category over one that does not.
    # Identifiers come from the models' meta; every value is a bound parameter.
    sql = (
        f"SELECT {columns}, {policy_columns} FROM {term_table} t "  # noqa: S608
        f"LEFT JOIN {policy_table} p ON p.{q('id')} = ("
        f"SELECT p2.{q('id')} FROM {policy_table} p2 "
        f"WHERE p2.{q('region_id')} IN ({', '.join(['%s'] * len(chain))}) "
        f"AND p2.{q('urgency')} = %s "
        f"AND (p2.{q('category_id')} = t.{q('id')} OR p2.{q('category_id')} IS NULL) "
        f"ORDER BY p2.{q('region_id')} DESC, p2.{q('category_id')} IS NULL LIMIT 1) "
        f"WHERE t.{q('vocabulary')} = %s AND t.{q('active')} = %s AND {by_code_or_id} "
        f"ORDER BY t.{q('vocabulary')}, t.{q('order')}, t.{q('code')} LIMIT 1"
    )
    if reserve:
        # The new request's id drawn in the same round trip (once, for the one row found).
        sql = f"SELECT found.*, {reserve} FROM ({sql}) found"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        errors.add(
            "category", f"{ENTITY}.category.unknown", _("不认识的诉求类别：%(v)s") % {"v": value}
        )
        return None, _default_policy(urgency), None
    reserved = int(row[-1]) if reserve else None
    row = row[:-1] if reserve else row
    n = len(_TERM_FIELDS)
    term = Term.from_db(connection.alias, list(_TERM_FIELDS), row[:n])
    if row[n] is None:
        return term, _default_policy(urgency), reserved
    return term, Policy(*(int(v) for v in row[n:])), reserved


def _default_policy(urgency: str) -> Policy:
    accept, resolve = DEFAULT_HOURS[urgency]
    return Policy(accept, resolve, DEFAULT_AUTO_CLOSE_DAYS, DEFAULT_REOPEN_DAYS)


def _coordinate(raw: object, field: str, limit: int, errors: Errors) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors.add(field, f"{ENTITY}.{field}.invalid", _("坐标格式不正确。"))
        return None
    if not -limit <= value <= limit:
        errors.add(field, f"{ENTITY}.{field}.invalid", _("坐标超出范围。"))
        return None
    return value


def _resident(
    raw: object, actor: Any, county_code: str, errors: Errors
) -> tuple[int | None, list[str]]:
    """(resident id, current tag codes). A worker may name any resident of the county they
    see; a resident only themself (their record is linked by default)."""
    from wushe.residents.models import Resident, ResidentStatus, ResidentTag

    resident_id = getattr(raw, "pk", raw)
    if resident_id in (None, ""):
        if has_role(actor, *WORKER_ROLES) or not getattr(actor, "is_authenticated", False):
            return None, []
        who, value = "user_id", int(actor.pk)
    else:
        try:
            value = int(str(resident_id))
        except ValueError:
            value = -1
        if not 0 < value <= _BIGINT_MAX:
            errors.add("resident", f"{ENTITY}.resident.not_found", _("居民档案不存在。"))
            return None, []
        who = "id"
    # One statement: the record and its current tags (a LEFT JOIN, so a resident without a
    # current tag still comes back, with a NULL tag). Raw SQL on the submission hot path: the
    # ORM's FilteredRelation query costs ~1 ms of compilation here, the statement ~0.1 ms.
    q = connection.ops.quote_name
    r_meta, t_meta = Resident._meta, ResidentTag._meta
    rc = {f: column(Resident, f) for f in ("id", "region", "user", "county_code", "status")}
    tc = {f: column(ResidentTag, f) for f in ("resident", "tag", "end_date")}
    sql = (
        f"SELECT r.{rc['id']}, r.{rc['region']}, r.{rc['user']}, t.{tc['tag']} "  # noqa: S608
        f"FROM {q(r_meta.db_table)} r LEFT JOIN {q(t_meta.db_table)} t "
        f"ON t.{tc['resident']} = r.{rc['id']} AND t.{tc['end_date']} IS NULL "
        f"WHERE r.{rc['county_code']} = %s AND r.{rc['status']} = %s "
        f"AND r.{rc['user' if who == 'user_id' else 'id']} = %s "
        f"ORDER BY r.{rc['id']} LIMIT 20"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [county_code, str(ResidentStatus.ACTIVE), value])
        rows = cursor.fetchall()
    if not rows:
        if resident_id not in (None, ""):
            errors.add("resident", f"{ENTITY}.resident.not_found", _("居民档案不存在。"))
        return None, []
    pk, region_id, user_id, _tag = rows[0]
    own = user_id is not None and user_id == getattr(actor, "pk", None)
    if not own and not in_scope(actor, region_id, WORKER_ROLES):
        errors.add("resident", f"{ENTITY}.resident.not_found", _("居民档案不存在。"))
        return None, []
    return pk, sorted({tag for row_pk, _r, _u, tag in rows if row_pk == pk and tag})


def priority_of(urgency: str, tags: Sequence[str]) -> tuple[int, list[str]]:
    """Priority number and its reason codes: the urgency plus TAG_PRIORITY for each current
    vulnerable-group tag of the resident concerned (at most TAG_PRIORITY_MAX of them)."""
    reason = [f"urgency:{urgency}", *(f"tag:{tag}" for tag in tags)]
    return URGENCY_PRIORITY[urgency] + TAG_PRIORITY * min(len(tags), TAG_PRIORITY_MAX), reason


def request_submit(
    *,
    actor: Any,
    region_code: object,
    category: object,
    description: object,
    urgency: str = Urgency.NORMAL,
    channel: str = Channel.SELF_SERVICE,
    external_id: object = "",
    address: object = "",
    latitude: object = None,
    longitude: object = None,
    resident_id: object = None,
    idempotency_key: str = "",
    photos: Sequence[AcceptedImage] = (),
) -> tuple[Request, bool]:
    """File a request; returns (request, created). A retry with the same idempotency key
    returns the request the first call created (created False) and writes nothing."""
    errors = Errors()
    if urgency not in Urgency.values:
        errors.add("urgency", f"{ENTITY}.urgency.invalid", _("紧急程度不正确。"))
        urgency = Urgency.NORMAL
    if channel not in Channel.values:
        errors.add("channel", f"{ENTITY}.channel.invalid", _("来源渠道不正确。"))
        channel = Channel.SELF_SERVICE
    body = text(description, "description", _("诉求内容"), 2000, errors, required=True)
    external = text(external_id, "external_id", _("外部编号"), 64, errors)
    place = text(address, "address", _("地址"), 200, errors)
    lat = _coordinate(latitude, "latitude", 90, errors)
    lng = _coordinate(longitude, "longitude", 180, errors)
    if (lat is None) != (lng is None):
        errors.add("latitude", f"{ENTITY}.coordinates.partial", _("经纬度需同时填写。"))
    if len(photos) > MAX_PHOTOS:
        errors.add(
            "photos", f"{ENTITY}.photos.too_many", _("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS}
        )
    region = _region(region_code, actor, channel, errors)
    # One statement for the whole submission (no transaction round trips) where it can be:
    # PostgreSQL, no photos (their files and rows are written apart), inbox-only
    # notifications. The request's id is then drawn with the category look-up.
    one_statement = (
        connection.vendor == "postgresql"
        and not photos
        and not enabled_channels()
        and not connection.in_atomic_block
    )
    term, policy, reserved_pk = _category_and_policy(
        category,
        region,
        urgency,
        errors,
        fastsql.reserve_pk_sql(Request) if one_statement else None,
    )
    errors.raise_if_any()
    assert term is not None
    county = region[:6]
    resident_pk, tags = _resident(resident_id, actor, county, errors)
    errors.raise_if_any()

    print_ = fingerprint(
        {
            "region": region,
            "category": term.code,
            "description": body,
            "urgency": urgency,
            "channel": channel,
            "external_id": external,
            "address": place,
            "latitude": lat,
            "longitude": lng,
            "resident": resident_pk,
        }
    )
    priority, reason = priority_of(urgency, tags)

    def create() -> Request:
        at = timezone.now()
        request = Request(
            number=new_number(county, at),
            channel=channel,
            external_id=external,
            category=term,
            description=body,
            address=place,
            latitude=lat,
            longitude=lng,
            urgency=urgency,
            resident_id=resident_pk,
            priority=priority,
            priority_reason=reason,
            status=Status.SUBMITTED,
            accept_hours=policy.accept_hours,
            resolve_hours=policy.resolve_hours,
            auto_close_days=policy.auto_close_days,
            reopen_days=policy.reopen_days,
            accept_due_at=at + timedelta(hours=policy.accept_hours),
            resolve_due_at=at + timedelta(hours=policy.resolve_hours),
            submitted_at=at,
            submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
            idempotency_key=idempotency_key,
            idempotency_fingerprint=print_ if idempotency_key else "",
            event_seq=1,
        )
        request.place(region)
        request.region = _known_communities[region]
        schedule(request)
        batch: list[fastsql.Statement | None] = []
        if reserved_pk is not None:
            # Everything in one statement (data-modifying WITH clauses): the request with
            # its reserved id first, the rows that refer to it after.
            request.pk = reserved_pk
            batch.append(fastsql.insert_statement([request], with_pk=True))
        else:
            # Inserted with event_seq 1 (the "submitted" event below), saving an UPDATE.
            fastsql.insert(request)
        # Without the ORM's compiler (a hot path; wushe.core.fastsql), so without the
        # post_save signal: the indicators' dirty mark is written here instead. The other
        # rows go in one round trip (PostgreSQL: one statement); photos, rarer, apart.
        refresh.mark_changed(request, batch)
        request.event_seq = 0
        event(
            request,
            kind=EventKind.SUBMITTED,
            actor=actor,
            at=at,
            to_status=Status.SUBMITTED,
            data={"channel": channel, "urgency": urgency, "priority": priority},
            batch=batch,
        )
        if stored:
            record_photos(request, stored, PhotoStage.SUBMITTED, actor, at)
        audit(
            request,
            "submitted",
            actor,
            {
                "number": request.number,
                "category": term.code,
                "channel": channel,
                "urgency": urgency,
                "priority": priority,
                "resident": resident_pk,
                "photos": len(photos),
            },
            batch=batch,
        )
        tell(
            request,
            community_workers(request),
            kind="submitted",
            title=_("有一条新的诉求待受理：%(category)s（%(number)s）")
            % {"category": term.name, "number": request.number},
            exclude=actor,
            batch=batch,
        )
        fastsql.execute_together(batch)
        return request

    stored = store_files(photos)
    try:
        # idempotent_create is this service's one transaction (durable).
        request, created = idempotent_create(
            model=Request,
            county_code=county,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            key=idempotency_key,
            fingerprint=print_,
            create=create,
            actor_field="submitted_by",
            # No pre-SELECT of the key: the unique constraint referees (a retry's INSERT fails
            # first thing and the stored row is read then) — one statement less per new one.
            lookup_first=False,
            single_statement=reserved_pk is not None,
        )
    except BaseException:
        delete_files(stored)
        raise
    if not created:
        delete_files(stored)  # a retry: the first submission's photos stand
        # The answer shows the category and community: reuse what this call already read
        # rather than two lazy queries.
        if request.category_id == term.pk:
            request.category = term
        if request.region_id in _known_communities:
            request.region = _known_communities[request.region_id]
    return request, created
