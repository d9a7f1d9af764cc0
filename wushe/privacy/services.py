from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wushe.audit.models import AuditEvent
from wushe.audit.services import audit_record
from wushe.core.errors import NotFound, PermissionDenied, ValidationFailed
from wushe.core.identifiers import age_on
from wushe.core.personal import SEALED_FIELDS, PersonFields, unseal

from .models import Consent, ConsentMethod
from .registry import reveal_permission, revealable

GUARDIAN_AGE = 14  # PIPL art. 31
MIN_REASON_LENGTH = 4


def personal_reveal(
    *, actor: Any, subject_type: str, subject_id: int, field: str, reason: str
) -> str:
    """The full value of a sealed field (ID number or phone) for someone allowed to see it.
    The reason is required and lands in the audit log with the field; a refused attempt is
    audited too. Outside the actor's scope the subject does not exist (NotFound).

    Permission comes first: the reason is looked at only once the actor may reveal, so a
    caller who may not is refused (404/403) the same way whatever the body says."""
    model = revealable(subject_type)
    if model is None or field not in SEALED_FIELDS:
        raise NotFound()
    reason = (reason or "").strip()
    subject = model._default_manager.filter(pk=subject_id).first()
    if subject is None or not actor.has_perm(
        f"{model._meta.app_label}.view_{model._meta.model_name}", subject
    ):
        raise NotFound()
    assert isinstance(subject, PersonFields)
    region_code = str(getattr(subject, "region_id", "") or "")
    if not actor.has_perm(reveal_permission(model), subject):
        with transaction.atomic():
            audit_record(
                action="privacy.personal.reveal_refused",
                actor=actor,
                target=subject,
                region_code=region_code,
                changes={"field": field, "reason": reason[:200]},
                outcome=AuditEvent.Outcome.FAILURE,
            )
        raise PermissionDenied(
            _("您的角色不能查看完整的个人信息。"), code="privacy.reveal_forbidden"
        )
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed(
            _("请填写查看完整信息的事由（至少 %(n)s 个字）。") % {"n": MIN_REASON_LENGTH},
            code="privacy.reason_required",
            fields={"reason": [_("请填写事由。")]},
        )
    with transaction.atomic(durable=True):
        value = unseal(subject, field)
        audit_record(
            action="privacy.personal.revealed",
            actor=actor,
            target=subject,
            region_code=region_code,
            changes={"field": field, "reason": reason[:200]},
        )
    return value


def consent_record(
    *,
    subject: PersonFields,
    purpose: str,
    given_on: date,
    scope: str = "",
    method: str = ConsentMethod.WRITTEN,
    guardian_name: str = "",
    guardian_relation: str = "",
    actor: Any,
) -> Consent:
    """Record a consent for a register row. A child under 14 on `given_on` needs a guardian."""
    if given_on > timezone.localdate():
        raise ValidationFailed(
            _("同意日期不能晚于今天。"),
            code="consent.date_future",
            fields={"given_on": [_("同意日期不能晚于今天。")]},
        )
    guardian_name, guardian_relation = guardian_name.strip(), guardian_relation.strip()
    birth = subject.birth_date
    if (
        birth is not None
        and age_on(birth, given_on) < GUARDIAN_AGE
        and not (guardian_name and guardian_relation)
    ):
        raise ValidationFailed(
            _("不满十四周岁的未成年人，须由监护人同意：请填写监护人姓名和关系。"),
            code="consent.guardian_required",
            fields={"guardian_name": [_("请填写监护人姓名和关系。")]},
        )
    consent = Consent(
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        subject_label=str(subject)[:100],
        purpose=purpose,
        scope=scope.strip()[:200],
        method=method,
        given_on=given_on,
        guardian_name=guardian_name,
        guardian_relation=guardian_relation,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    consent.place(str(subject.region_id))  # type: ignore[attr-defined]
    try:
        consent.full_clean(exclude=["region", "recorded_by"])
    except DjangoValidationError as exc:
        # An unknown purpose or method, an empty purpose …: a 422 naming the fields, not a 500.
        raise ValidationFailed(
            _("同意记录有误，请检查后重试。"),
            code="consent.invalid",
            fields={name: [str(m) for m in errors] for name, errors in exc.message_dict.items()},
        ) from None
    with transaction.atomic():
        consent.save()
        audit_record(
            action="privacy.consent.recorded",
            actor=actor,
            target=consent,
            region_code=consent.region_id,
            changes={"purpose": purpose, "method": method, "guardian": bool(guardian_name)},
        )
    return consent


def consent_withdraw(*, consent: Consent, actor: Any) -> Consent:
    """Withdraw a consent (PIPL art. 15). Withdrawing twice changes nothing."""
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            return locked
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["withdrawn_at"])
        audit_record(
            action="privacy.consent.withdrawn",
            actor=actor,
            target=locked,
            region_code=locked.region_id,
        )
    return locked
