"""Writes of volunteer activities and service records; verification credits time coins
through `timebank.services.coins_earn` in the same transaction (idempotent per record)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.accounts.roles import WRITER_ROLES, Role
from wushe.accounts.scoping import in_scope
from wushe.audit.services import audit_record
from wushe.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from wushe.timebank import selectors as tb_selectors
from wushe.timebank import services as tb
from wushe.volunteers.models import Volunteer

from .models import (
    Activity,
    Certificate,
    RecordStatus,
    ServiceRecord,
    SignUp,
    SignUpStatus,
    minutes_of,
)


def _invalid(code: str, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=f"activities.{code}", fields={field: [message]})


# Who may create an activity: the writer roles and social organisations' staff, in scope.
ORGANISER_ROLES = WRITER_ROLES | {Role.ORG_STAFF}


def _may_manage(actor: Any, activity: Activity) -> bool:
    organiser = activity.organiser_id == getattr(actor, "pk", None)
    return organiser or in_scope(actor, activity.region_id, WRITER_ROLES)


def activity_create(
    *,
    region_code: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    actor: Any,
    description: str = "",
) -> Activity:
    if not in_scope(actor, region_code, ORGANISER_ROLES):
        raise NotFound(code="activities.region.out_of_scope")
    title = str(title or "").strip()
    if not title:
        raise _invalid("title.required", "title", _("请填写活动名称。"))
    if ends_at <= starts_at:
        raise _invalid("window.invalid", "ends_at", _("结束时间应晚于开始时间。"))
    with transaction.atomic():
        activity = Activity(
            title=title[:200],
            description=description,
            organiser=actor,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        activity.place(region_code)
        activity.save(force_insert=True)
        audit_record(
            action="activities.activity.created",
            actor=actor,
            target=activity,
            region_code=region_code,
            changes={"title": activity.title},
        )
    return activity


def record_submit(
    *,
    activity: Activity,
    volunteer: Volunteer,
    signed_in_at: datetime,
    signed_out_at: datetime,
    actor: Any,
    travel_minutes: int = 0,
    content: str = "",
) -> ServiceRecord:
    """A volunteer's own record (or one entered by the organiser / a worker in scope)."""
    own = volunteer.user_id is not None and volunteer.user_id == getattr(actor, "pk", None)
    if not own and not _may_manage(actor, activity):
        raise NotFound(code="activities.activity.not_found")
    if signed_out_at <= signed_in_at:
        raise _invalid("record.window", "signed_out_at", _("签退时间应晚于签到时间。"))
    if travel_minutes < 0:
        raise _invalid("record.travel", "travel_minutes", _("路途时间不能为负数。"))
    minutes = minutes_of(signed_in_at, signed_out_at, travel_minutes)
    if minutes <= 0:
        raise _invalid("record.minutes", "travel_minutes", _("扣除路途时间后服务时长应大于零。"))
    with transaction.atomic():
        record = ServiceRecord(
            activity=activity,
            volunteer=volunteer,
            signed_in_at=signed_in_at,
            signed_out_at=signed_out_at,
            travel_minutes=travel_minutes,
            minutes=minutes,
            content=content[:200],
        )
        record.place(activity.region_id)
        record.save(force_insert=True)
        audit_record(
            action="activities.record.submitted",
            actor=actor,
            target=record,
            region_code=record.region_id,
            changes={"minutes": minutes, "travel_minutes": travel_minutes},
        )
    return record


def _lock(record: ServiceRecord) -> ServiceRecord:
    return (
        ServiceRecord.objects.select_for_update()
        .select_related("activity", "volunteer")
        .get(pk=record.pk, county_code=record.county_code)
    )


def _add_minutes(volunteer_id: int, minutes: int) -> None:
    Volunteer.objects.filter(pk=volunteer_id).update(
        verified_minutes=F("verified_minutes") + minutes
    )


def record_verify(*, record: ServiceRecord, actor: Any) -> ServiceRecord:
    """submitted → verified: adds the minutes to the volunteer's verified hours and credits
    coins in the region's coin scheme (if any). Verifying twice is a no-op; the coins are
    credited once per record (`source_ref`). Over the daily earning cap the hours are still
    verified, only the coins are not credited (audited)."""
    with transaction.atomic():
        locked = _lock(record)
        if not _may_manage(actor, locked.activity):
            raise NotFound(code="activities.record.not_found")
        if locked.status == RecordStatus.VERIFIED:
            return locked
        if locked.status != RecordStatus.SUBMITTED:
            raise Conflict(_("该记录不能认证。"), code="activities.record.status")
        locked.status = RecordStatus.VERIFIED
        locked.verified_by = actor
        locked.verified_at = timezone.now()
        _add_minutes(locked.volunteer_id, locked.minutes)
        scheme = tb_selectors.scheme_for(locked.region_id)
        note = ""
        if scheme is not None:
            account = tb.account_for_volunteer(scheme=scheme, volunteer=locked.volunteer)
            try:
                transfer, _created = tb.coins_earn(
                    account=account,
                    minutes=locked.minutes,
                    value_date=timezone.localtime(locked.signed_in_at).date(),
                    actor=actor,
                    source_ref=f"activities.record:{locked.pk}",
                    memo=locked.activity.title,
                    authorized=True,
                    nested=True,
                )
                locked.transfer = transfer
            except DomainError as exc:
                note = exc.code
        locked.save(update_fields=["status", "verified_by", "verified_at", "transfer"])
        audit_record(
            action="activities.record.verified",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"minutes": locked.minutes, "transfer": locked.transfer_id, "coins": note},
        )
    return locked


def record_reject(*, record: ServiceRecord, reason: str, actor: Any) -> ServiceRecord:
    with transaction.atomic():
        locked = _lock(record)
        if not _may_manage(actor, locked.activity):
            raise NotFound(code="activities.record.not_found")
        if locked.status != RecordStatus.SUBMITTED:
            raise Conflict(_("该记录不能退回。"), code="activities.record.status")
        reason = str(reason or "").strip()
        if not reason:
            raise _invalid("reason.required", "reason", _("请填写退回原因。"))
        locked.status = RecordStatus.REJECTED
        locked.reason = reason[:200]
        locked.save(update_fields=["status", "reason"])
        audit_record(
            action="activities.record.rejected",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
            changes={"reason": locked.reason},
        )
    return locked


def record_correct(*, record: ServiceRecord, reason: str, actor: Any) -> ServiceRecord:
    """Cancel a verified record by a reversing record (minutes negated) and reverse its coins
    (409 `timebank.insufficient_balance` when they were spent since)."""
    with transaction.atomic():
        locked = _lock(record)
        if not in_scope(actor, locked.region_id, WRITER_ROLES) and not _may_manage(
            actor, locked.activity
        ):
            raise NotFound(code="activities.record.not_found")
        reason = str(reason or "").strip()
        if not reason:
            raise _invalid("reason.required", "reason", _("请填写更正原因。"))
        if (
            locked.status != RecordStatus.VERIFIED
            or locked.corrects_id is not None
            or ServiceRecord.objects.filter(corrects=locked).exists()
        ):
            raise Conflict(_("该记录不能更正。"), code="activities.record.status")
        reversal = None
        if locked.transfer_id is not None:
            reversal, _created = tb.transfer_reverse(
                transfer=locked.transfer_id, reason=reason, actor=actor, nested=True
            )
        correction = ServiceRecord(
            activity=locked.activity,
            volunteer=locked.volunteer,
            signed_in_at=locked.signed_in_at,
            signed_out_at=locked.signed_out_at,
            travel_minutes=locked.travel_minutes,
            minutes=-locked.minutes,
            content=locked.content,
            status=RecordStatus.VERIFIED,
            corrects=locked,
            reason=reason[:200],
            verified_by=actor,
            verified_at=timezone.now(),
            transfer=reversal,
        )
        correction.place(locked.region_id)
        correction.save(force_insert=True)
        _add_minutes(locked.volunteer_id, -locked.minutes)
        audit_record(
            action="activities.record.corrected",
            actor=actor,
            target=correction,
            region_code=locked.region_id,
            changes={"corrects": locked.pk, "minutes": correction.minutes, "reason": reason},
        )
    return correction


def volunteer_minutes_rebuild(*, actor: Any = None) -> int:
    """Recompute every `Volunteer.verified_minutes` from the verified records (reversing
    records count negative); returns how many volunteers were corrected."""
    from django.db.models import Sum

    fixed = 0
    with transaction.atomic():
        sums = dict(
            ServiceRecord.objects.filter(status=RecordStatus.VERIFIED)
            .values("volunteer_id")
            .annotate(s=Sum("minutes"))
            .values_list("volunteer_id", "s")
            .order_by()
        )
        for pk, cached in (
            Volunteer.objects.select_for_update()
            .order_by("pk")
            .values_list("pk", "verified_minutes")
        ):
            right = max(sums.get(pk) or 0, 0)
            if cached != right:
                Volunteer.objects.filter(pk=pk).update(verified_minutes=right)
                fixed += 1
        audit_record(action="activities.minutes.rebuilt", actor=actor, changes={"fixed": fixed})
    return fixed


def certificate_issue(*, volunteer: Volunteer, actor: Any) -> Certificate:
    """A certificate of the volunteer's verified hours, issued by a worker of their region
    (whoever records certifies). Number: county code + date + 8 random base32 characters."""
    import secrets

    if not in_scope(actor, volunteer.region_id, WRITER_ROLES):
        raise NotFound(code="activities.volunteer.not_found")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    today = timezone.localdate()
    with transaction.atomic():
        fresh = Volunteer.objects.get(pk=volunteer.pk)
        certificate = Certificate(
            number=f"{volunteer.county_code}{today:%y%m%d}"
            + "".join(secrets.choice(alphabet) for _ in range(8)),
            volunteer=fresh,
            minutes=fresh.verified_minutes,
            issued_on=today,
            issued_by=actor,
        )
        certificate.place(volunteer.region_id)
        certificate.save(force_insert=True)
        audit_record(
            action="activities.certificate.issued",
            actor=actor,
            target=certificate,
            region_code=certificate.region_id,
            changes={"number": certificate.number, "minutes": certificate.minutes},
        )
    return certificate


# --- Sign-up and attendance (QR codes) -------------------------------------------------------

SCAN_SALT = "wushe.activities.scan"
SCAN_VALID_SECONDS = 300  # a QR code shown on the organiser's screen is valid for 5 minutes
SIGN_IN_EARLY = timedelta(hours=1)  # sign-in opens an hour before the start
SCAN_ACTIONS = ("in", "out")


def scan_token(*, activity: Activity, action: str) -> str:
    """The signed, time-limited token a QR code carries (activity and action; the signature
    makes it unforgeable, the timestamp makes a photo of the screen useless after
    `SCAN_VALID_SECONDS`)."""
    if action not in SCAN_ACTIONS:
        raise ValueError(action)
    return signing.TimestampSigner(salt=SCAN_SALT).sign(f"{activity.pk}.{action}")


def scan_read(token: str) -> tuple[Activity, str]:
    """The activity and action of a scanned token; 409 `activities.scan.expired` when it is
    older than `SCAN_VALID_SECONDS`, 404 when it is forged or unknown."""
    signer = signing.TimestampSigner(salt=SCAN_SALT)
    try:
        value = signer.unsign(token, max_age=SCAN_VALID_SECONDS)
    except signing.SignatureExpired:
        raise Conflict(
            _("二维码已过期，请重新扫描组织者屏幕上的二维码。"), code="activities.scan.expired"
        ) from None
    except signing.BadSignature:
        raise NotFound(code="activities.scan.invalid") from None
    pk, _sep, action = value.partition(".")
    activity = Activity.objects.filter(pk=int(pk) if pk.isdigit() else 0).first()
    if activity is None or action not in SCAN_ACTIONS:
        raise NotFound(code="activities.scan.invalid")
    return activity, action


def _own(actor: Any, volunteer: Volunteer) -> bool:
    return volunteer.user_id is not None and volunteer.user_id == getattr(actor, "pk", None)


def _signup_row(activity: Activity, volunteer: Volunteer) -> tuple[SignUp, bool]:
    """The (activity, volunteer) row, locked; created when missing. Two phones scanning at
    once: the loser of the insert race reads the winner's row."""
    locked = SignUp.objects.select_for_update()
    found = locked.filter(activity=activity, volunteer=volunteer).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            row = SignUp(activity=activity, volunteer=volunteer)
            row.place(activity.region_id)
            row.save(force_insert=True)
            return row, True
    except IntegrityError:
        return locked.get(activity=activity, volunteer=volunteer), False


def signup_create(*, activity: Activity, volunteer: Volunteer, actor: Any) -> SignUp:
    """Sign up (or sign up again after cancelling); signing up twice returns the same row."""
    if not _own(actor, volunteer) and not _may_manage(actor, activity):
        raise NotFound(code="activities.activity.not_found")
    if timezone.now() >= activity.ends_at:
        raise Conflict(_("活动已结束，不能报名。"), code="activities.signup.closed")
    with transaction.atomic():
        signup, created = _signup_row(activity, volunteer)
        if not created and signup.status == SignUpStatus.SIGNED_UP:
            return signup
        signup.status = SignUpStatus.SIGNED_UP
        signup.save(update_fields=["status"])
        audit_record(
            action="activities.signup.created",
            actor=actor,
            target=signup,
            region_code=signup.region_id,
            changes={"activity": activity.pk, "volunteer": volunteer.pk},
        )
    return signup


def signup_cancel(*, signup: SignUp, actor: Any) -> SignUp:
    with transaction.atomic():
        locked = SignUp.objects.select_for_update().select_related("activity", "volunteer")
        locked_signup = locked.get(pk=signup.pk)
        if not _own(actor, locked_signup.volunteer) and not _may_manage(
            actor, locked_signup.activity
        ):
            raise NotFound(code="activities.signup.not_found")
        if locked_signup.signed_in_at is not None:
            raise Conflict(_("已签到，不能取消报名。"), code="activities.signup.signed_in")
        if locked_signup.status == SignUpStatus.CANCELLED:
            return locked_signup
        locked_signup.status = SignUpStatus.CANCELLED
        locked_signup.save(update_fields=["status"])
        audit_record(
            action="activities.signup.cancelled",
            actor=actor,
            target=locked_signup,
            region_code=locked_signup.region_id,
        )
    return locked_signup


def sign_in(*, activity: Activity, volunteer: Volunteer, actor: Any) -> SignUp:
    """Sign in now (by the volunteer through a scanned code, or by the organiser on the sheet).
    Open from an hour before the start until the end; signing in twice keeps the first time."""
    if not _own(actor, volunteer) and not _may_manage(actor, activity):
        raise NotFound(code="activities.activity.not_found")
    now = timezone.now()
    if now < activity.starts_at - SIGN_IN_EARLY or now >= activity.ends_at:
        raise Conflict(_("不在活动签到时间内。"), code="activities.sign_in.closed")
    with transaction.atomic():
        signup, _created = _signup_row(activity, volunteer)
        if signup.signed_in_at is not None:
            return signup
        signup.status = SignUpStatus.SIGNED_UP
        signup.signed_in_at = now
        signup.save(update_fields=["status", "signed_in_at"])
        audit_record(
            action="activities.signup.signed_in",
            actor=actor,
            target=signup,
            region_code=signup.region_id,
            changes={"at": now.isoformat()},
        )
    return signup


def sign_out(
    *, activity: Activity, volunteer: Volunteer, actor: Any, travel_minutes: int = 0
) -> SignUp:
    """Sign out now: submits the service record (sign-in to sign-out, minus travel) for the
    organiser's verification, in the same transaction. Signing out twice returns the first.
    Service ends at the sign-out, at the latest at the activity's end: a volunteer who forgot
    and is signed out the next day by the organiser gets the activity's hours, not a day."""
    if not _own(actor, volunteer) and not _may_manage(actor, activity):
        raise NotFound(code="activities.activity.not_found")
    now = min(timezone.now(), activity.ends_at)
    with transaction.atomic():
        signup = (
            SignUp.objects.select_for_update()
            .filter(activity=activity, volunteer=volunteer)
            .first()
        )
        if signup is None or signup.signed_in_at is None:
            raise Conflict(_("请先签到。"), code="activities.sign_out.not_signed_in")
        if signup.signed_out_at is not None:
            return signup
        if minutes_of(signup.signed_in_at, now, travel_minutes) <= 0:
            raise Conflict(
                _("签到后服务不足 1 分钟（扣除路途时间后），暂不能签退。"),
                code="activities.sign_out.too_early",
            )
        record = record_submit(
            activity=activity,
            volunteer=volunteer,
            signed_in_at=signup.signed_in_at,
            signed_out_at=now,
            travel_minutes=travel_minutes,
            content=activity.title,
            actor=actor,
        )
        signup.signed_out_at = now
        signup.record = record
        signup.save(update_fields=["signed_out_at", "record"])
        audit_record(
            action="activities.signup.signed_out",
            actor=actor,
            target=signup,
            region_code=signup.region_id,
            changes={"record": record.pk, "minutes": record.minutes},
        )
    return signup
