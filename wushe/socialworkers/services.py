"""Every write about social workers: the record, registration renewals and continuing
education. Each service validates, writes and audits in one transaction, and recomputes the
derived registration columns (wushe.socialworkers.registration) from the rows."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.models import User
from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import in_scope
from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from wushe.core.personal import seal_id_number, seal_phone
from wushe.organizations.models import Organization
from wushe.regions import codes
from wushe.regions.models import Region
from wushe.stations.models import ServiceStation

from . import registration
from .models import (
    CertificateLevel,
    ContinuingEducation,
    EmploymentStatus,
    RegistrationRenewal,
    SocialWorker,
)
from .selectors import social_workers_visible

ENTITY = "social_worker"
WORKER_LEVELS = frozenset({codes.Level.COUNTY, codes.Level.TOWNSHIP, codes.Level.COMMUNITY})
MAX_EDUCATION_HOURS = Decimal("200")
_CERTIFICATE_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9\-]{3,39}$")

# Fields a caller may set; the sealed ones take raw values and are validated on the way in.
FIELDS = (
    "name",
    "id_number",
    "phone",
    "certificate_level",
    "certificate_number",
    "certificate_date",
    "registered_on",
    "region",
    "employer",
    "station",
    "resident_at_station",
    "is_community_worker",
    "status",
    "user",
)
PLAIN_FIELDS = (
    "name",
    "certificate_level",
    "certificate_number",
    "certificate_date",
    "registered_on",
    "resident_at_station",
    "is_community_worker",
    "status",
)


class Errors:
    """Collects field errors so a form shows all of them at once; raises the first code."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def add(self, field: str, code: str, message: Any) -> None:
        self.items.append((field, code, str(message)))

    def add_domain(self, field: str, exc: DomainError) -> None:
        """A shared validator's error (`id_number.checksum`) under this register's prefix."""
        self.add(field, f"{ENTITY}.{exc.code}", exc.message)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        fields: dict[str, list[str]] = {}
        for field, _code, message in self.items:
            fields.setdefault(field, []).append(message)
        _field, code, message = self.items[0]
        raise ValidationFailed(message, code=code, fields=fields)


def normalize_certificate_number(raw: object) -> str:
    text = unicodedata.normalize("NFKC", str(raw or ""))
    return re.sub(r"\s+", "", text).upper()


def check_certificate_number(raw: object, errors: Errors) -> str:
    number = normalize_certificate_number(raw)
    if not number:
        errors.add(
            "certificate_number",
            f"{ENTITY}.certificate_number.required",
            _("请填写证书编号。"),
        )
    elif not _CERTIFICATE_NUMBER.match(number):
        errors.add(
            "certificate_number",
            f"{ENTITY}.certificate_number.format",
            _("证书编号只能由字母、数字和连字符组成（4–40 位），请对照证书核对。"),
        )
    return number


def check_dates(
    certificate_date: date | None, registered_on: date | None, today: date, errors: Errors
) -> None:
    if certificate_date is None:
        errors.add(
            "certificate_date",
            f"{ENTITY}.certificate_date.required",
            _("请填写取得证书日期。"),
        )
    elif certificate_date > today:
        errors.add(
            "certificate_date",
            f"{ENTITY}.certificate_date.future",
            _("取得证书日期不能晚于今天。"),
        )
    if registered_on is not None:
        if registered_on > today:
            errors.add(
                "registered_on", f"{ENTITY}.registered_on.future", _("登记日期不能晚于今天。")
            )
        elif certificate_date is not None and registered_on < certificate_date:
            errors.add(
                "registered_on",
                f"{ENTITY}.registered_on.before_certificate",
                _("登记日期不能早于取得证书日期。"),
            )


def check_station_fits(
    station: ServiceStation, region_code: str, actor: Any, errors: Errors
) -> None:
    """A worker's station lies in the worker's county (rows that point at each other share a
    county, docs/architecture.md §6.3) and is either in the actor's scope or the station of
    the area the worker belongs to (e.g. a community's worker at the township's 社工站)."""
    if station.county_code != region_code[:6]:
        errors.add(
            "station",
            f"{ENTITY}.station.other_county",
            _("所属站点须与社会工作者在同一县（市、区）。"),
        )
        return
    serves_region = region_code.startswith(codes.significant_prefix(station.region_id))
    if not (serves_region or in_scope(actor, station.region_id)):
        errors.add("station", f"{ENTITY}.station.not_found", _("所属站点不存在。"))


def _check_region(raw: object, actor: Any, errors: Errors) -> str | None:
    try:
        code = codes.normalize(raw)
    except DomainError:
        errors.add("region", f"{ENTITY}.region.invalid", _("请填写有效的区划代码。"))
        return None
    if not Region.objects.filter(code=code).exists():
        errors.add(
            "region", f"{ENTITY}.region.not_found", _("区划不存在：%(code)s") % {"code": code}
        )
        return None
    if codes.level_of(code) not in WORKER_LEVELS:
        errors.add(
            "region",
            f"{ENTITY}.region.level",
            _("社会工作者应登记在县（市、区）、乡镇（街道）或社区（村）。"),
        )
    if not in_scope(actor, code, WRITER_ROLES):
        errors.add("region", f"{ENTITY}.region.out_of_scope", _("该区划不在您的管辖范围内。"))
    return code


def _pk(value: object) -> int | None:
    if value in (None, ""):
        return None
    if hasattr(value, "pk"):
        return int(value.pk)
    try:
        return int(str(value))
    except ValueError:
        return -1


def _check(
    data: Mapping[str, Any], actor: Any, errors: Errors, worker: SocialWorker
) -> dict[str, Any]:
    """Validate a full set of values and set them on `worker` (not saved). Returns the
    changes for the audit event (personal values masked)."""
    today = timezone.localdate()
    changes: dict[str, Any] = {}

    def put(field: str, value: Any) -> None:
        if getattr(worker, field) != value:
            changes[field] = str(value) if isinstance(value, date | Decimal) else value
            setattr(worker, field, value)

    # Names are not NFKC-normalised: that would replace rare characters of people's names.
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors.add("name", f"{ENTITY}.name.required", _("请填写姓名。"))
    elif len(name) > 50:
        errors.add("name", f"{ENTITY}.name.too_long", _("姓名不能超过 50 个字。"))
    put("name", name)

    if "id_number" in data:
        before = worker.id_number_hash
        try:
            parsed = seal_id_number(worker, data["id_number"])
        except DomainError as exc:
            errors.add_domain("id_number", exc)
        else:
            if parsed is None:
                errors.add("id_number", f"{ENTITY}.id_number.required", _("请填写身份证号。"))
            elif worker.id_number_hash != before:
                changes["id_number"] = worker.id_number_masked
    if "phone" in data:
        before = worker.phone_hash
        try:
            seal_phone(worker, data["phone"])
        except DomainError as exc:
            errors.add_domain("phone", exc)
        else:
            if worker.phone_hash != before:
                changes["phone"] = worker.phone_masked

    level = str(data.get("certificate_level") or "")
    if level not in CertificateLevel.values:
        errors.add(
            "certificate_level", f"{ENTITY}.certificate_level.invalid", _("请选择证书等级。")
        )
    put("certificate_level", level)
    put("certificate_number", check_certificate_number(data.get("certificate_number"), errors))
    certificate_date, registered_on = data.get("certificate_date"), data.get("registered_on")
    check_dates(certificate_date, registered_on, today, errors)
    put("certificate_date", certificate_date)
    put("registered_on", registered_on)

    region = _check_region(data.get("region"), actor, errors)
    if region is not None and region != worker.region_id:
        changes["region"] = region
        worker.place(region)

    employer_id = _pk(data.get("employer"))
    if employer_id is not None and not Organization.objects.filter(pk=employer_id).exists():
        errors.add("employer", f"{ENTITY}.employer.not_found", _("所在单位不存在。"))
    put("employer_id", employer_id)

    station_id = _pk(data.get("station"))
    if station_id is not None:
        station = ServiceStation.objects.filter(pk=station_id).first()
        if station is None:
            errors.add("station", f"{ENTITY}.station.not_found", _("所属站点不存在。"))
        elif region is not None:
            check_station_fits(station, region, actor, errors)
    put("station_id", station_id)
    resident = bool(data.get("resident_at_station"))
    if resident and station_id is None:
        errors.add(
            "resident_at_station",
            f"{ENTITY}.resident_at_station.no_station",
            _("驻站的社会工作者须填写所属站点。"),
        )
    put("resident_at_station", resident)
    put("is_community_worker", bool(data.get("is_community_worker")))

    # Employment status is a register fact (在职/离职) that may change either way, with no
    # workflow behind it, so it is an ordinary field here rather than a transition service.
    status = str(data.get("status") or EmploymentStatus.ACTIVE)
    if status not in EmploymentStatus.values:
        errors.add("status", f"{ENTITY}.status.invalid", _("请选择在职状态。"))
    put("status", status)

    user_id = _pk(data.get("user"))
    if user_id is not None and not User.objects.filter(pk=user_id, is_active=True).exists():
        errors.add("user", f"{ENTITY}.user.not_found", _("平台账号不存在。"))
    put("user_id", user_id)
    return changes


def _check_unique(worker: SocialWorker) -> None:
    others = SocialWorker.objects.filter(county_code=worker.county_code).exclude(pk=worker.pk)
    if others.filter(id_number_hash=worker.id_number_hash).exists():
        message = _("该身份证号已登记为社会工作者。")
        raise Conflict(
            message, code=f"{ENTITY}.id_number.duplicate", fields={"id_number": [message]}
        )
    if others.filter(certificate_number=worker.certificate_number).exists():
        message = _("该证书编号已被其他社会工作者使用。")
        raise Conflict(
            message,
            code=f"{ENTITY}.certificate_number.duplicate",
            fields={"certificate_number": [message]},
        )
    if worker.user_id is not None and others.filter(user_id=worker.user_id).exists():
        message = _("该平台账号已关联其他社会工作者。")
        raise Conflict(message, code=f"{ENTITY}.user.taken", fields={"user": [message]})


def _save(worker: SocialWorker) -> None:
    """Save; a concurrent twin that slipped past `_check_unique` is a conflict, not a 500."""
    try:
        with transaction.atomic():
            worker.save()
    except IntegrityError as exc:
        message = _("该社会工作者（身份证号或证书编号）刚刚已被登记。")
        raise Conflict(message, code=f"{ENTITY}.duplicate") from exc


def derive_registration(workers: Iterable[SocialWorker]) -> None:
    """Recompute the derived columns of saved or unsaved workers from their renewals and
    continuing-education rows (two queries for any number of workers). Does not save."""
    workers = list(workers)
    saved = [w.pk for w in workers if w.pk is not None]
    renewals: dict[int, list[date]] = defaultdict(list)
    records: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    if saved:
        for worker_id, renewed_on in RegistrationRenewal.objects.filter(
            social_worker_id__in=saved
        ).values_list("social_worker_id", "renewed_on"):
            renewals[worker_id].append(renewed_on)
        for worker_id, taken_on, hours in ContinuingEducation.objects.filter(
            social_worker_id__in=saved
        ).values_list("social_worker_id", "taken_on", "hours"):
            records[worker_id].append((taken_on, hours))
    for worker in workers:
        last = registration.last_registration_on(worker.registered_on, renewals[worker.pk])
        worker.registration_last_on = last
        worker.registration_expires_on = (
            registration.registration_expires_on(last) if last else None
        )
        worker.registration_due_on = registration.registration_due_on(worker.certificate_date, last)
        worker.education_hours = registration.hours_in_period(records[worker.pk], last)


DERIVED_FIELDS = (
    "registration_last_on",
    "registration_expires_on",
    "registration_due_on",
    "education_hours",
)


def social_worker_create(
    *,
    actor: Any,
    name: str,
    id_number: object,
    certificate_level: str,
    certificate_number: str,
    certificate_date: date | None,
    region_code: str,
    phone: object = "",
    registered_on: date | None = None,
    employer_id: int | None = None,
    station_id: int | None = None,
    resident_at_station: bool = False,
    is_community_worker: bool = False,
    status: str = EmploymentStatus.ACTIVE,
    user_id: int | None = None,
) -> SocialWorker:
    if not actor.has_perm("socialworkers.add_socialworker"):
        raise PermissionDenied(_("您的角色不能登记社会工作者。"), code=f"{ENTITY}.forbidden")
    worker = SocialWorker()
    errors = Errors()
    changes = _check(
        {
            "name": name,
            "id_number": id_number,
            "phone": phone,
            "certificate_level": certificate_level,
            "certificate_number": certificate_number,
            "certificate_date": certificate_date,
            "registered_on": registered_on,
            "region": region_code,
            "employer": employer_id,
            "station": station_id,
            "resident_at_station": resident_at_station,
            "is_community_worker": is_community_worker,
            "status": status,
            "user": user_id,
        },
        actor,
        errors,
        worker,
    )
    errors.raise_if_any()
    with transaction.atomic():
        _check_unique(worker)
        derive_registration([worker])
        _save(worker)
        audit_record(
            action="socialworkers.social_worker.created",
            actor=actor,
            target=worker,
            region_code=worker.region_id,
            changes=changes,
        )
    return worker


def _locked(actor: Any, worker_id: int) -> SocialWorker:
    worker = (
        social_workers_visible(user=actor).select_for_update(of=("self",)).filter(pk=worker_id)
    ).first()
    if worker is None:
        raise NotFound()
    return worker


def social_worker_update(*, actor: Any, worker_id: int, changes: Mapping[str, Any]) -> SocialWorker:
    """Change some fields (PATCH semantics). `id_number` and `phone` take raw values; absent,
    the sealed values stay as they are."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationFailed(
            _("不能修改这些字段：%(f)s") % {"f": "、".join(sorted(unknown))},
            code=f"{ENTITY}.field_readonly",
            fields={f: [_("不能修改。")] for f in sorted(unknown)},
        )
    with transaction.atomic():
        worker = _locked(actor, worker_id)
        if not actor.has_perm("socialworkers.change_socialworker", worker):
            raise PermissionDenied(
                _("您的角色不能修改社会工作者信息。"), code=f"{ENTITY}.forbidden"
            )
        current: dict[str, Any] = {field: getattr(worker, field) for field in PLAIN_FIELDS}
        current.update(
            region=worker.region_id,
            employer=worker.employer_id,
            station=worker.station_id,
            user=worker.user_id,
        )
        county = worker.county_code
        errors = Errors()
        applied = _check({**current, **changes}, actor, errors, worker)
        renewals = list(renewals_dates(worker))
        if renewals and (worker.registered_on is None or worker.registered_on >= min(renewals)):
            errors.add(
                "registered_on",
                f"{ENTITY}.registered_on.after_renewal",
                _("首次登记日期须早于延续登记日期。"),
            )
        errors.raise_if_any()
        if applied:
            if worker.county_code != county:
                # The county is the distribution key (docs/architecture.md §6.2): it never
                # changes; a move to another county is a new registration there.
                raise ValidationFailed(
                    _("社会工作者不能转到其他县（市、区）：请在新县区重新登记。"),
                    code=f"{ENTITY}.region.other_county",
                    fields={"region": [_("不能转到其他县（市、区）。")]},
                )
            _check_unique(worker)
            derive_registration([worker])
            _save(worker)
            if "region" in applied:
                _move_children(worker)
            audit_record(
                action="socialworkers.social_worker.updated",
                actor=actor,
                target=worker,
                region_code=worker.region_id,
                changes=applied,
            )
    return worker


def _move_children(worker: SocialWorker) -> None:
    """Child rows carry the worker's region (same county: checked by the caller)."""
    for model in (RegistrationRenewal, ContinuingEducation):
        model.objects.filter(county_code=worker.county_code, social_worker=worker).update(
            region_id=worker.region_id
        )


def renewals_dates(worker: SocialWorker) -> Iterable[date]:
    if worker.pk is None:
        return []
    return RegistrationRenewal.objects.filter(
        county_code=worker.county_code, social_worker=worker
    ).values_list("renewed_on", flat=True)


def renewal_record(
    *, actor: Any, worker_id: int, renewed_on: date, note: str = ""
) -> RegistrationRenewal:
    """Record a renewal (延续登记). Recording the same date again returns the existing row."""
    with transaction.atomic():
        worker = _locked(actor, worker_id)
        if not actor.has_perm("socialworkers.change_socialworker", worker):
            raise PermissionDenied(_("您的角色不能记录延续登记。"), code=f"{ENTITY}.forbidden")
        existing = RegistrationRenewal.objects.filter(
            county_code=worker.county_code, social_worker=worker, renewed_on=renewed_on
        ).first()
        if existing is not None:
            return existing
        if worker.registration_last_on is None:
            message = _("尚未首次登记，不能延续登记：请先填写首次登记日期。")
            raise ValidationFailed(
                message, code=f"{ENTITY}.renewal.not_registered", fields={"renewed_on": [message]}
            )
        if renewed_on > timezone.localdate():
            message = _("延续登记日期不能晚于今天。")
            raise ValidationFailed(
                message, code=f"{ENTITY}.renewal.future", fields={"renewed_on": [message]}
            )
        if renewed_on <= worker.registration_last_on:
            message = _("延续登记日期须晚于上次登记（延续）日期 %(d)s。") % {
                "d": worker.registration_last_on.isoformat()
            }
            raise ValidationFailed(
                message, code=f"{ENTITY}.renewal.before_last", fields={"renewed_on": [message]}
            )
        hours_before = worker.education_hours
        renewal = RegistrationRenewal(
            social_worker=worker,
            renewed_on=renewed_on,
            note=note.strip()[:200],
            recorded_by=_user_or_none(actor),
        )
        renewal.place(worker.region_id)
        renewal.save()
        derive_registration([worker])
        worker.save(update_fields=[*DERIVED_FIELDS, "updated_at"])
        audit_record(
            action="socialworkers.social_worker.renewed",
            actor=actor,
            target=worker,
            region_code=worker.region_id,
            changes={
                "renewed_on": renewed_on.isoformat(),
                "expires_on": str(worker.registration_expires_on),
                "education_hours_in_previous_period": str(hours_before),
            },
        )
    return renewal


def _user_or_none(actor: Any) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def parse_hours(raw: object) -> Decimal | None:
    """Hours with at most one decimal place, 0 < h ≤ 200; None when not such a number."""
    try:
        hours = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    if not hours.is_finite() or hours <= 0 or hours > MAX_EDUCATION_HOURS:
        return None
    if hours != hours.quantize(Decimal("0.1")):
        return None
    return hours.quantize(Decimal("0.1"))


def education_record(
    *,
    actor: Any,
    worker_id: int,
    taken_on: date,
    hours: Decimal | str | float,
    provider: str,
    topic: str,
) -> ContinuingEducation:
    """Record continuing education (a social worker may record their own)."""
    with transaction.atomic():
        worker = _locked(actor, worker_id)
        if not actor.has_perm("socialworkers.record_education", worker):
            raise PermissionDenied(_("您的角色不能记录继续教育。"), code=f"{ENTITY}.forbidden")
        errors = Errors()
        parsed = parse_hours(hours)
        if parsed is None:
            errors.add(
                "hours",
                f"{ENTITY}.education.hours_invalid",
                _("学时应为大于 0、不超过 200 的数字，最多一位小数。"),
            )
        if taken_on > timezone.localdate():
            errors.add(
                "taken_on", f"{ENTITY}.education.date_future", _("继续教育日期不能晚于今天。")
            )
        elif taken_on < worker.certificate_date:
            errors.add(
                "taken_on",
                f"{ENTITY}.education.before_certificate",
                _("继续教育日期不能早于取得证书日期。"),
            )
        provider, topic = provider.strip(), topic.strip()
        if not provider:
            errors.add("provider", f"{ENTITY}.education.provider_required", _("请填写培训机构。"))
        if not topic:
            errors.add("topic", f"{ENTITY}.education.topic_required", _("请填写培训内容。"))
        errors.raise_if_any()
        assert parsed is not None
        record = ContinuingEducation(
            social_worker=worker,
            taken_on=taken_on,
            hours=parsed,
            provider=provider[:100],
            topic=topic[:200],
            recorded_by=_user_or_none(actor),
        )
        record.place(worker.region_id)
        record.save()
        derive_registration([worker])
        worker.save(update_fields=[*DERIVED_FIELDS, "updated_at"])
        audit_record(
            action="socialworkers.social_worker.education_recorded",
            actor=actor,
            target=worker,
            region_code=worker.region_id,
            changes={
                "taken_on": taken_on.isoformat(),
                "hours": str(parsed),
                "education_hours": str(worker.education_hours),
            },
        )
    return record
