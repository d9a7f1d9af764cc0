from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.errors import PermissionDenied
from wushe.regions import codes

from .models import AuditEvent
from .selectors import AuditFilter, audit_event_search

router = Router(tags=["audit"], auth=API_AUTH)


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_label: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    region_code: str
    changes: dict[str, object]
    outcome: str
    ip: str | None


class AuditQuery(Schema):
    since: datetime | None = None
    until: datetime | None = None
    actor: str = ""
    action: str = ""
    region: str = ""
    outcome: str = ""


def build_filter(query: AuditQuery) -> AuditFilter:
    region = codes.significant_prefix(codes.normalize(query.region)) if query.region else ""
    return AuditFilter(
        since=query.since,
        until=query.until,
        actor=query.actor,
        action=query.action,
        region=region,
        outcome=query.outcome,
    )


@router.get("/audit/events", response=list[AuditEventOut], summary="审计日志查询")
@paginate(LimitOffsetPagination)
def search_events(request: HttpRequest, filters: Query[AuditQuery]) -> QuerySet[AuditEvent]:
    if not request.user.has_perm("audit.search_events"):
        raise PermissionDenied(
            _("只有审计员和系统管理员可以查看审计日志。"), code="audit.forbidden"
        )
    return audit_event_search(user=request.user, filters=build_filter(filters))
