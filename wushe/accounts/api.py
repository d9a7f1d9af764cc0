from __future__ import annotations

from datetime import datetime

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from wushe.core.errors import NotAuthenticated

from . import selectors, services
from .auth import API_AUTH
from .models import User

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: datetime


class TokenInfo(Schema):
    id: int
    key_prefix: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    current: bool


class RegionRef(Schema):
    code: str
    name: str
    short_name: str
    level: int


class GrantOut(Schema):
    role: str
    role_label: str
    region: RegionRef | None
    organization_id: int | None
    organization_name: str | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    grants: list[GrantOut]


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, object]


@router.post(
    "/auth/token",
    response={200: TokenOut, 401: ErrorOut, 429: ErrorOut},
    auth=None,
    summary="用户名密码换取访问令牌",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> dict[str, object]:
    user = services.login_authenticate(
        username=payload.username, password=payload.password, channel="api"
    )
    plaintext, token = services.token_issue(user=user, name="api")
    return {"token": plaintext, "expires_at": token.expires_at}


@router.get("/auth/tokens", response=list[TokenInfo], auth=API_AUTH, summary="我的访问令牌")
def list_tokens(request: HttpRequest) -> list[dict[str, object]]:
    current = getattr(request, "api_token", None)
    return [
        {
            **{f: getattr(t, f) for f in TokenInfo.model_fields if f != "current"},
            "current": current is not None and current.pk == t.pk,
        }
        for t in selectors.tokens_of(user=request.user)
    ]


@router.post("/auth/token/revoke", response={204: None}, auth=API_AUTH, summary="撤销当前令牌")
def revoke_current(request: HttpRequest) -> Status[None]:
    token = getattr(request, "api_token", None)
    if token is None:
        raise NotAuthenticated("此操作需要使用访问令牌调用。", code="auth.token_required")
    assert isinstance(request.user, User)
    services.token_revoke(token_id=token.pk, actor=request.user)
    return Status(204, None)


@router.delete("/auth/tokens/{token_id}", response={204: None}, auth=API_AUTH, summary="撤销令牌")
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    assert isinstance(request.user, User)
    services.token_revoke(token_id=token_id, actor=request.user)
    return Status(204, None)


class PasswordIn(Schema):
    old_password: str = Field(..., max_length=200)
    new_password: str = Field(..., max_length=200)
    new_password_again: str | None = Field(
        None, max_length=200, description="再次输入的新密码；给出时须与 new_password 相同"
    )


class PasswordOut(Schema):
    tokens_revoked: int = Field(..., description="被撤销的其他访问令牌数")


@router.post(
    "/auth/password",
    response={200: PasswordOut, 422: ErrorOut, 429: ErrorOut},
    auth=API_AUTH,
    summary="修改本人密码",
    description=(
        "须提供原密码；新密码须符合密码规则。修改后该用户的其他访问令牌全部撤销，"
        "网页登录全部失效；本次请求所用的令牌（或网页会话）继续有效。"
    ),
)
def change_password(request: HttpRequest, payload: PasswordIn) -> dict[str, int]:
    user = request.user
    assert isinstance(user, User)
    token = getattr(request, "api_token", None)
    revoked = services.password_change(
        user=user,
        old_password=payload.old_password,
        new_password=payload.new_password,
        new_password_again=payload.new_password_again,
        channel="api",
        keep_token_id=token.pk if token is not None else None,
    )
    if token is None:  # called from a page session: keep it signed in
        update_session_auth_hash(request, user)
    return {"tokens_revoked": revoked}


@router.get("/me", response=MeOut, auth=API_AUTH, tags=["me"], summary="当前用户的角色与区划")
def me(request: HttpRequest) -> dict[str, object]:
    user = request.user
    assert isinstance(user, User)
    grants = list(selectors.grants_for_display(user=user))
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted({g.role for g in grants}),
        "grants": [
            {
                "role": g.role,
                "role_label": str(g.get_role_display()),
                "region": (
                    {
                        "code": g.region.code,
                        "name": g.region.name,
                        "short_name": g.region.short_name,
                        "level": g.region.level,
                    }
                    if g.region
                    else None
                ),
                "organization_id": g.organization_id,
                "organization_name": g.organization.name if g.organization else None,
            }
            for g in grants
        ],
    }
