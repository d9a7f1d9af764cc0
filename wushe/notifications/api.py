from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.errors import PermissionDenied
from wushe.core.paging import CappedLimitOffsetPagination

from . import selectors, services
from .models import Notification

router = Router(tags=["notifications"], auth=API_AUTH)


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    region_code: str
    target_type: str
    target_id: str
    created_at: datetime
    read_at: datetime | None
    is_read: bool

    @staticmethod
    def resolve_region_code(obj: Notification) -> str:
        return obj.region_id or ""


class NotificationQuery(Schema):
    unread: bool | None = Field(None, description="true：只列未读；false：只列已读")


class CountOut(Schema):
    count: int


class ReadAllOut(Schema):
    updated: int


class PreferenceOut(Schema):
    sms_enabled: bool
    phone_masked: str
    wechat_bound: bool


class PreferenceIn(Schema):
    sms_enabled: bool = False
    phone: str | None = Field(None, description="手机号码；省略则不变，空字符串清除")
    wechat_openid: str | None = Field(None, description="微信 OpenID；省略则不变，空字符串清除")


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(_("请先登录。"), code="notifications.forbidden")


@router.get("/notifications", response=list[NotificationOut], summary="我的消息")
@paginate(CappedLimitOffsetPagination)
def list_notifications(
    request: HttpRequest, filters: Query[NotificationQuery]
) -> QuerySet[Notification]:
    _require(request, "notifications.view_inbox")
    return selectors.inbox(user=request.user, unread=filters.unread)


@router.get("/notifications/unread-count", response=CountOut, summary="未读消息数")
def unread_count(request: HttpRequest) -> dict[str, int]:
    _require(request, "notifications.view_inbox")
    return {"count": selectors.unread_count(user=request.user)}


@router.post("/notifications/read-all", response=ReadAllOut, summary="全部标为已读")
def read_all(request: HttpRequest) -> dict[str, int]:
    _require(request, "notifications.view_inbox")
    return {"updated": services.notification_mark_all_read(user=request.user)}


@router.post("/notifications/{notification_id}/read", response=NotificationOut, summary="标为已读")
def read_one(request: HttpRequest, notification_id: int) -> Notification:
    _require(request, "notifications.view_inbox")
    return services.notification_mark_read(notification_id=notification_id, user=request.user)


@router.get("/notifications/preferences", response=PreferenceOut, summary="我的通知设置")
def get_preferences(request: HttpRequest) -> dict[str, object]:
    _require(request, "notifications.change_preference")
    return _preference_out(services.preference_get(user=request.user))


@router.put("/notifications/preferences", response=PreferenceOut, summary="修改通知设置")
def put_preferences(request: HttpRequest, payload: PreferenceIn) -> dict[str, object]:
    _require(request, "notifications.change_preference")
    pref = services.preference_update(
        user=request.user,
        sms_enabled=payload.sms_enabled,
        phone=payload.phone,
        wechat_openid=payload.wechat_openid,
        actor=request.user,
    )
    return _preference_out(pref)


def _preference_out(pref: object) -> dict[str, object]:
    return {
        "sms_enabled": getattr(pref, "sms_enabled", False),
        "phone_masked": getattr(pref, "phone_masked", ""),
        "wechat_bound": bool(getattr(pref, "wechat_openid", "")),
    }
