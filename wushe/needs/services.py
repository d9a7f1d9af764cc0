"""Every write about needs. `need_create` is the one way a need enters the database, whatever
its source (a survey entered by a worker, a request, a visit); `need_from_request` raises one
from a request; one service per transition (models.TRANSITIONS)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from wushe.core.idempotency import fingerprint, idempotent_create
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.residents.models import Resident, ResidentTag, Tag
from wushe.taxonomy.models import Term, Vocabulary

from . import rules
from .models import Action, Need, NeedGroup, Source, Status, transition_target

ENTITY = "needs.need"


def _invalid(field: str, code: str, message: Any) -> ValidationFailed:
    return ValidationFailed(message, code=f"{ENTITY}.{code}", fields={field: [str(message)]})


def _clean_groups(groups: Mapping[str, int] | None) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for tag, raw in (groups or {}).items():
        if tag not in Tag.values:
            raise _invalid("groups", "group.invalid", _("未知的困难群体：%(t)s") % {"t": tag})
        try:
            people = int(raw)
        except (TypeError, ValueError):
            people = -1
        if people < 0:
            raise _invalid("groups", "group.count", _("困难群体人数应为非负整数。"))
        if people:
            cleaned[tag] = people
    return cleaned


def need_create(
    *,
    region_code: str,
    category: Term | int | str,
    title: str,
    source: str,
    actor: Any,
    description: str = "",
    source_ref: str = "",
    resident_id: int | None = None,
    people_count: int = 1,
    vulnerable_count: int | None = None,
    groups: Mapping[str, int] | None = None,
    idempotency_key: str = "",
    checked_by_caller: bool = False,
    nested: bool = False,
) -> Need:
    """Record a need. Returns the stored need.

    - `category`: a service_category Term, its id or its code.
    - `source`: models.Source ('survey', 'request', 'visit', 'other'); `source_ref` the id or
      number of the visit/request/survey row it came from. With a `source_ref`, raising the
      same need again (same source, ref and category) returns the stored need unchanged.
    - `resident_id`: the resident concerned (same county). When given without `groups`, the
      resident's current vulnerable-group tags fill `groups` (1 person each) and
      `vulnerable_count` (1 if any tag).
    - `groups`: {Tag value: people}; `vulnerable_count` defaults to the largest group count.
    - `checked_by_caller=True`: for a service of another app (wushe.visits) that has already
      checked that its actor may act in the region; the actor is still recorded.
    - `nested=True` when the caller already holds a transaction (the need is then created in
      a savepoint of it, committed with the caller's work).
    Raises ValidationFailed (422), NotFound (region out of the actor's scope) or
    PermissionDenied."""
    if source not in Source.values:
        raise _invalid("source", "source.invalid", _("未知的需求来源。"))
    try:
        region = codes.normalize(region_code)
    except DomainError as exc:
        raise _invalid("region", "region.invalid", _("请选择有效的社区或乡镇（街道）。")) from exc
    if codes.level_of(region) not in (codes.Level.TOWNSHIP, codes.Level.COMMUNITY):
        raise _invalid("region", "region.level", _("需求应登记到社区（村）或乡镇（街道）。"))
    if not Region.objects.filter(code=region).exists():
        raise _invalid("region", "region.not_found", _("区划不存在：%(c)s") % {"c": region})
    if not checked_by_caller and not rules.may_record_in(actor, region):
        if rules.may_view(actor, _RegionProbe(region)):
            raise PermissionDenied(_("您不能在该区域登记需求。"), code=f"{ENTITY}.forbidden")
        raise NotFound()
    term = _category(category)
    title = str(title or "").strip()
    if not title:
        raise _invalid("title", "title.required", _("请填写需求标题。"))
    if len(title) > 100:
        raise _invalid("title", "title.too_long", _("需求标题不能超过 100 个字。"))
    source_ref = str(source_ref or "").strip()[:64]
    try:
        people = int(people_count)
    except (TypeError, ValueError):
        people = 0
    if people < 1:
        raise _invalid("people_count", "people.invalid", _("涉及人数至少为 1。"))
    clean = _clean_groups(groups)
    resident: Resident | None = None
    if resident_id is not None:
        resident = Resident.objects.filter(pk=resident_id, county_code=region[:6]).first()
        if resident is None:
            raise _invalid("resident", "resident.not_found", _("居民不存在或不在本区县。"))
        if not clean:
            today = timezone.localdate()
            current = ResidentTag.objects.filter(
                resident_id=resident.pk, start_date__lte=today, end_date__isnull=True
            ).values_list("tag", flat=True)
            clean = dict.fromkeys(sorted(set(current)), 1)
            if vulnerable_count is None:
                vulnerable_count = 1 if clean else 0
    if any(n > people for n in clean.values()):
        raise _invalid("groups", "group.too_many", _("某一困难群体的人数不能超过涉及人数。"))
    if vulnerable_count is None:
        vulnerable_count = max(clean.values(), default=0)
    vulnerable = int(vulnerable_count)
    if not 0 <= vulnerable <= people:
        raise _invalid(
            "vulnerable_count", "vulnerable.invalid", _("困难群体人数应在 0 与涉及人数之间。")
        )
    body = {
        "region": region,
        "category": term.pk,
        "title": title,
        "description": description,
        "source": source,
        "source_ref": source_ref,
        "resident": resident_id,
        "people": people,
        "vulnerable": vulnerable,
        "groups": clean,
    }
    print_ = fingerprint(body)
    user = actor if getattr(actor, "is_authenticated", False) else None

    def existing_from_source() -> Need | None:
        if not source_ref:
            return None
        return Need.objects.filter(
            county_code=region[:6], source=source, source_ref=source_ref, category=term
        ).first()

    def create() -> Need:
        found = existing_from_source()
        if found is not None:
            return found
        need = Need(
            category=term,
            title=title,
            description=str(description or "").strip(),
            source=source,
            source_ref=source_ref,
            resident=resident,
            people_count=people,
            vulnerable_count=vulnerable,
            created_by=user,
            idempotency_key=idempotency_key if user else "",
            idempotency_fingerprint=print_ if (idempotency_key and user) else "",
        )
        need.place(region)
        need.save()
        rows = []
        for tag, n in clean.items():
            row = NeedGroup(need=need, tag=tag, people=n)
            row.place(region)
            rows.append(row)
        NeedGroup.objects.bulk_create(rows)
        audit_record(
            action="needs.need.created",
            actor=actor,
            target=need,
            region_code=region,
            changes={
                "source": source,
                "source_ref": source_ref,
                "category": term.code,
                "people_count": people,
                "vulnerable_count": vulnerable,
            },
        )
        return need

    if idempotency_key and user is not None:
        need, _created = idempotent_create(
            model=Need,
            county_code=region[:6],
            actor=user,
            key=idempotency_key,
            fingerprint=print_,
            create=create,
            nested=nested,
        )
        return need
    try:
        with transaction.atomic(durable=not nested):
            return create()
    except IntegrityError:
        # A concurrent twin raised the same need from the same source first.
        found = existing_from_source()
        if found is None:
            raise
        return found


class _RegionProbe:
    """Stands in for a need in a region for the visibility rule (404 versus 403)."""

    def __init__(self, region_code: str) -> None:
        self.region_id = region_code


def _category(raw: Term | int | str) -> Term:
    if isinstance(raw, Term):
        term: Term | None = raw if raw.vocabulary == Vocabulary.SERVICE_CATEGORY else None
    else:
        qs = Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY)
        text = str(raw).strip()
        term = qs.filter(pk=int(text)).first() if text.isdigit() else qs.filter(code=text).first()
    if term is None:
        raise _invalid("category", "category.invalid", _("请选择有效的服务类别。"))
    return term


def need_from_request(*, request_id: int, category: Term | int | str, actor: Any) -> Need:
    """Raise a need from a request (民呼我为): a worker who may see the request turns it into
    a need of the request's community, concerning the request's resident. Raising it again in
    the same category returns the stored need."""
    from wushe.requests import rules as request_rules
    from wushe.requests.models import Request

    request = Request.objects.filter(pk=request_id).first()
    if request is None or not request_rules.may_view(actor, request):
        raise NotFound()
    if not rules.may_record_in(actor, request.region_id):
        raise PermissionDenied(_("您不能在该社区登记需求。"), code=f"{ENTITY}.forbidden")
    first_line = (request.description or "").strip().splitlines()
    title = (first_line[0] if first_line else request.number)[:100]
    return need_create(
        region_code=request.region_id,
        category=category,
        title=title,
        description=request.description,
        source=Source.REQUEST,
        source_ref=request.number,
        resident_id=request.resident_id,
        actor=actor,
    )


# --- transitions -----------------------------------------------------------------------------


def _lock(need_id: int, actor: Any, *, system: bool = False) -> Need:
    county = Need.objects.filter(pk=need_id).values_list("county_code", flat=True).first()
    if county is None:
        raise NotFound()
    need = Need.objects.select_for_update().get(county_code=county, pk=need_id)
    if not system:
        if not rules.may_view(actor, need):
            raise NotFound()
        if not rules.may_manage(actor, need):
            raise PermissionDenied(_("您不能处理这条需求。"), code=f"{ENTITY}.forbidden")
    return need


def _apply(need_id: int, action: str, actor: Any, note: str, system: bool) -> Need:
    need = _lock(need_id, actor, system=system)
    target = transition_target(action, need.status)
    if target is None:
        if need.status == TRANSITIONS_DONE.get(action):
            return need  # repeating a transition that already happened is a no-op
        raise Conflict(
            _("需求当前为“%(s)s”，不能%(a)s。")
            % {"s": need.get_status_display(), "a": Action(action).label},
            code=f"{ENTITY}.invalid_transition",
        )
    before = need.status
    need.status = target
    need.status_note = str(note or "")[:200]
    need.save(update_fields=["status", "status_note", "updated_at"])
    audit_record(
        action=f"needs.need.{action}",
        actor=actor,
        target=need,
        region_code=need.region_id,
        changes={"status": [before, target], "note": need.status_note},
    )
    return need


def _move(need_id: int, action: str, actor: Any, *, note: str = "", system: bool = False) -> Need:
    # system=True: called by another app's service inside its own transaction.
    with transaction.atomic(durable=not system):
        return _apply(need_id, action, actor, note, system)


# The status an action leaves a need in, for the no-op check (each action has one target).
TRANSITIONS_DONE: dict[str, str] = {
    Action.PROPOSE: Status.PROPOSED,
    Action.REOPEN: Status.OPEN,
    Action.ADDRESS: Status.ADDRESSED,
    Action.DISMISS: Status.DISMISSED,
}


def need_propose(*, need_id: int, actor: Any, note: str = "", system: bool = False) -> Need:
    """The need is taken into a project proposal (wushe.projects calls this with the
    proposal's reference as `note`; `system=True` inside its own transaction)."""
    return _move(need_id, Action.PROPOSE, actor, note=note, system=system)


def need_reopen(*, need_id: int, actor: Any, note: str = "", system: bool = False) -> Need:
    """Back to the open needs (a proposal was refused or withdrawn; a closed need was
    closed by mistake)."""
    return _move(need_id, Action.REOPEN, actor, note=note, system=system)


def need_address(*, need_id: int, actor: Any, note: str = "", system: bool = False) -> Need:
    return _move(need_id, Action.ADDRESS, actor, note=note, system=system)


def need_dismiss(*, need_id: int, actor: Any, note: str = "") -> Need:
    return _move(need_id, Action.DISMISS, actor, note=note)


def needs_propose(
    *, need_ids: Iterable[int], actor: Any, note: str = "", system: bool = False
) -> list[Need]:
    """Several needs into one proposal, all or none, locked in id order."""
    with transaction.atomic(durable=not system):
        return [_apply(pk, Action.PROPOSE, actor, note, system) for pk in sorted(set(need_ids))]
