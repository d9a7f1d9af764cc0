"""Every write about accounts: sign-in (with throttling), API tokens, users and grants."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wushe.audit.models import AuditEvent
from wushe.audit.services import audit_record
from wushe.core import context, fastsql
from wushe.core.conf import setting
from wushe.core.errors import NotAuthenticated, NotFound, Throttled, ValidationFailed
from wushe.organizations.models import Organization
from wushe.regions.models import Region

from .models import ApiToken, RoleGrant, User
from .roles import ALLOWED_LEVELS, Role
from .scoping import forget_grants, remember_grants

TOKEN_PREFIX = "wst_"  # noqa: S105 - a visible prefix, not a secret
LOGIN_FAILED = "accounts.login.failed"
LOGIN_SUCCEEDED = "accounts.login.succeeded"
LOGIN_THROTTLED = "accounts.login.throttled"
LOGIN_LOCKED = "accounts.login.locked"
PASSWORD_CHANGED = "accounts.password.changed"  # noqa: S105 - an audit action
PASSWORD_CHANGE_FAILED = "accounts.password.change_failed"  # noqa: S105 - an audit action


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _primary_region(user: User) -> str:
    grant = (
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True, region__isnull=False)
        .order_by("granted_at")
        .values_list("region_id", flat=True)
        .first()
    )
    return grant or ""


def _locked_until(events: Sequence[tuple[str, datetime]], max_failures: int) -> datetime | None:
    """When a run of failed sign-ins locks an account or address: `max_failures` failures (the
    newest first in `events`, no success between them) within the window lock it for the
    lockout time after the last of them. None when the newest events are no such run."""
    times: list[datetime] = []
    for action, at in events:
        if action != LOGIN_FAILED:
            break
        times.append(at)
        if len(times) == max_failures:
            break
    if len(times) < max_failures:
        return None
    if times[0] - times[-1] > timedelta(seconds=setting("LOGIN_WINDOW_SECONDS")):
        return None
    return times[0] + timedelta(seconds=setting("LOGIN_LOCKOUT_SECONDS"))


def login_lock(*, username: str, ip: str | None) -> tuple[str, datetime] | None:
    """Whether sign-in is locked for this account or client address: ("account" | "address",
    locked until) or None. Counted from the audit log itself (indexed on actor_label/ip, action,
    at): one source of truth that every application process shares, where a local-memory cache
    would count per worker. A successful sign-in ends an account's run of failures; an address's
    run is not reset by success, so one valid account cannot launder guesses at others."""
    now = timezone.now()
    per_account = setting("LOGIN_MAX_FAILURES_PER_ACCOUNT")
    account_events = (
        AuditEvent.objects.filter(actor_label=username, action__in=[LOGIN_FAILED, LOGIN_SUCCEEDED])
        .order_by("-at", "-id")
        .values_list("action", "at")[:per_account]
    )
    until = _locked_until(list(account_events), per_account)
    if until is not None and until > now:
        return "account", until
    if ip:
        per_address = setting("LOGIN_MAX_FAILURES_PER_ADDRESS")
        address_events = (
            AuditEvent.objects.filter(ip=ip, action=LOGIN_FAILED)
            .order_by("-at", "-id")
            .values_list("action", "at")[:per_address]
        )
        until = _locked_until(list(address_events), per_address)
        if until is not None and until > now:
            return "address", until
    return None


def _throttled(until: datetime) -> Throttled:
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    return Throttled(
        _("登录失败次数过多，已暂时锁定，请 %(minutes)s 分钟后再试。") % {"minutes": minutes},
        code="auth.throttled",
        retry_after=seconds,
        fields={"retry_after": seconds},
    )


def login_authenticate(*, username: str, password: str, channel: str) -> User:
    """Check a username and password. Every attempt is audited. After
    LOGIN_MAX_FAILURES_PER_ACCOUNT failures for an account (or LOGIN_MAX_FAILURES_PER_ADDRESS
    from one client address) within LOGIN_WINDOW_SECONDS, sign-in is locked for
    LOGIN_LOCKOUT_SECONDS: attempts answer `auth.throttled` (429, Retry-After) without checking
    the password, even the right one. The failure that starts a lock is audited as
    `accounts.login.locked`, each refused attempt as `accounts.login.throttled`."""
    username = (username or "").strip()[:150]
    ip = context.current().ip
    lock = login_lock(username=username, ip=ip)
    if lock is not None:
        scope, until = lock
        with transaction.atomic():
            audit_record(
                action=LOGIN_THROTTLED,
                actor_label=username,
                changes={"channel": channel, "scope": scope, "until": until.isoformat()},
                outcome=AuditEvent.Outcome.FAILURE,
            )
        raise _throttled(until)
    user = authenticate(username=username, password=password or "")
    if user is None:
        with transaction.atomic():
            audit_record(
                action=LOGIN_FAILED,
                actor_label=username,
                changes={"channel": channel},
                outcome=AuditEvent.Outcome.FAILURE,
            )
            lock = login_lock(username=username, ip=ip)
            if lock is not None:
                audit_record(
                    action=LOGIN_LOCKED,
                    actor_label=username,
                    changes={"channel": channel, "scope": lock[0], "until": lock[1].isoformat()},
                    outcome=AuditEvent.Outcome.FAILURE,
                )
        raise NotAuthenticated(_("用户名或密码错误。"), code="auth.invalid_credentials")
    assert isinstance(user, User)
    with transaction.atomic():
        audit_record(
            action=LOGIN_SUCCEEDED,
            actor=user,
            target=user,
            region_code=_primary_region(user),
            changes={"channel": channel},
        )
    return user


def token_issue(
    *, user: User, name: str = "", ttl_hours: int | None = None
) -> tuple[str, ApiToken]:
    """Create an API token; returns the plaintext (shown once) and the stored row."""
    hours = ttl_hours if ttl_hours is not None else setting("TOKEN_TTL_HOURS")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            key_hash=_hash_token(plaintext),
            key_prefix=plaintext[:12],
            name=name[:100],
            expires_at=timezone.now() + timedelta(hours=hours),
        )
        audit_record(
            action="accounts.token.issued",
            actor=user,
            target=token,
            region_code=_primary_region(user),
            changes={"expires_at": token.expires_at.isoformat(), "name": token.name},
        )
    return plaintext, token


_TOKEN_SQL: dict[str, tuple[str, list[str], list[str], list[Any]]] = {}


def _token_query() -> tuple[str, list[str], list[str], list[Any]]:
    """The statement of `_token_with_user_and_grants` with the attribute names and the
    value converters of its columns, built once per database vendor."""
    cached = _TOKEN_SQL.get(connection.vendor)
    if cached is not None:
        return cached
    q = fastsql.qn
    token_fields = list(ApiToken._meta.concrete_fields)
    user_fields = list(User._meta.concrete_fields)
    assert User._meta.pk is not None
    pk_column = User._meta.pk.column
    grant = {f.name: q(f.column) for f in RoleGrant._meta.concrete_fields}
    columns = ", ".join(
        [f"t.{q(f.column)}" for f in token_fields]
        + [f"u.{q(f.column)}" for f in user_fields]
        + [f"g.{grant['role']}", f"g.{grant['region']}", f"g.{grant['organization']}"]
    )
    sql = (
        f"SELECT {columns} FROM {q(ApiToken._meta.db_table)} t "  # noqa: S608
        f"JOIN {q(User._meta.db_table)} u ON u.{q(pk_column)} = t.{q('user_id')} "
        f"LEFT JOIN {q(RoleGrant._meta.db_table)} g ON g.{grant['user']} = u."
        f"{q(pk_column)} AND g.{grant['revoked_at']} IS NULL "
        f"WHERE t.{q('key_hash')} = %s"
    )
    cached = (
        sql,
        [f.attname for f in token_fields],
        [f.attname for f in user_fields],
        fastsql.row_converters(ApiToken, "t") + fastsql.row_converters(User, "u"),
    )
    _TOKEN_SQL[connection.vendor] = cached
    return cached


def _token_with_user_and_grants(key_hash: str) -> ApiToken | None:
    """The token with its user and the user's live role grants (cached for `grants_of`), in
    one statement: every API request authenticates, and the scope checks that follow need
    the grants. Plain SQL because the ORM cannot attach a LEFT JOIN's many rows to a
    select_related object; the rows are turned into model instances with `from_db`."""
    sql, token_names, user_names, converters = _token_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_hash])
        rows = cursor.fetchall()
    if not rows:
        return None
    nt, nu = len(token_names), len(user_names)
    first = fastsql.convert_row(converters, rows[0][: nt + nu])
    token = ApiToken.from_db(connection.alias, token_names, first[:nt])
    user = User.from_db(connection.alias, user_names, first[nt:])
    token.user = user
    if user.is_active:
        remember_grants(user, [row[nt + nu :] for row in rows if row[nt + nu] is not None])
    return token


def token_authenticate(*, plaintext: str) -> tuple[User, ApiToken]:
    """Resolve a bearer token to its user, or raise NotAuthenticated with a precise code."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        raise NotAuthenticated(_("访问令牌无效。"), code="auth.token_invalid")
    token = _token_with_user_and_grants(_hash_token(plaintext))
    if token is None or not token.user.is_active:
        raise NotAuthenticated(_("访问令牌无效。"), code="auth.token_invalid")
    now = timezone.now()
    if token.revoked_at is not None:
        raise NotAuthenticated(_("访问令牌已被撤销，请重新登录。"), code="auth.token_revoked")
    if token.expires_at <= now:
        raise NotAuthenticated(_("访问令牌已过期，请重新登录。"), code="auth.token_expired")
    # Record use at most once a minute: a read must not turn into a write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


def token_revoke(*, token_id: int, actor: User) -> ApiToken:
    """Revoke one of the actor's own tokens (admins: anyone's). Revoking twice is a no-op."""
    with transaction.atomic(durable=True):
        lookup = Q(pk=token_id)
        if not actor.is_superuser:
            lookup &= Q(user=actor)
        token = ApiToken.objects.select_for_update().filter(lookup).first()
        if token is None:
            raise NotFound(_("未找到该令牌。"), code="auth.token_not_found")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                action="accounts.token.revoked",
                actor=actor,
                target=token,
                region_code=_primary_region(token.user),
            )
    return token


def _password_change_lock(user: User) -> datetime | None:
    """Until when password changes are refused after LOGIN_MAX_FAILURES_PER_ACCOUNT wrong old
    passwords within LOGIN_WINDOW_SECONDS: a stolen session or token must not become a way to
    guess the password without the sign-in lockout. Counted from the audit log, as sign-in is;
    a successful change ends the run."""
    per_account = setting("LOGIN_MAX_FAILURES_PER_ACCOUNT")
    events = (
        AuditEvent.objects.filter(
            actor_label=user.username, action__in=[PASSWORD_CHANGE_FAILED, PASSWORD_CHANGED]
        )
        .order_by("-at", "-id")
        .values_list("action", "at")[:per_account]
    )
    times: list[datetime] = []
    for action, at in events:
        if action != PASSWORD_CHANGE_FAILED:
            break
        times.append(at)
    if len(times) < per_account:
        return None
    if times[0] - times[-1] > timedelta(seconds=setting("LOGIN_WINDOW_SECONDS")):
        return None
    until = times[0] + timedelta(seconds=setting("LOGIN_LOCKOUT_SECONDS"))
    return until if until > timezone.now() else None


def password_change(
    *,
    user: User,
    old_password: str,
    new_password: str,
    new_password_again: str | None = None,
    channel: str,
    keep_token_id: int | None = None,
) -> int:
    """The user changes their own password: the old one must be right, the new one must be
    typed the same twice (when `new_password_again` is given), differ from the old one and pass
    the password policy (AUTH_PASSWORD_VALIDATORS, wushe.accounts.passwords). In one transaction
    the password is set, every API token of the user is revoked except `keep_token_id` (the one
    the request came with) and the change is audited. Page sessions end by themselves: Django
    checks a session against the password's hash on every request, so only the session the
    caller keeps with `update_session_auth_hash` survives. Returns the number of tokens
    revoked. A wrong old password is audited as a failure; after as many failures as lock
    sign-in, changes are refused for the lockout time (429 `auth.throttled`)."""
    until = _password_change_lock(user)
    if until is not None:
        raise _throttled(until)
    if not user.check_password(old_password or ""):
        with transaction.atomic():
            audit_record(
                action=PASSWORD_CHANGE_FAILED,
                actor=user,
                target=user,
                region_code=_primary_region(user),
                changes={"channel": channel},
                outcome=AuditEvent.Outcome.FAILURE,
            )
        message = _("原密码不正确。")
        raise ValidationFailed(
            message, code="accounts.password.wrong_old", fields={"old_password": [message]}
        )
    if new_password_again is not None and new_password != new_password_again:
        message = _("两次输入的新密码不一致。")
        raise ValidationFailed(
            message, code="accounts.password.mismatch", fields={"new_password_again": [message]}
        )
    if new_password == old_password:
        message = _("新密码不能与原密码相同。")
        raise ValidationFailed(
            message, code="accounts.password.unchanged", fields={"new_password": [message]}
        )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        messages = [str(m) for m in exc.messages]
        raise ValidationFailed(
            " ".join(messages), code="accounts.password.weak", fields={"new_password": messages}
        ) from None
    with transaction.atomic(durable=True):
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(new_password)
        locked.save(update_fields=["password"])
        tokens = ApiToken.objects.filter(user=locked, revoked_at__isnull=True)
        if keep_token_id is not None:
            tokens = tokens.exclude(pk=keep_token_id)
        revoked = tokens.update(revoked_at=timezone.now())
        audit_record(
            action=PASSWORD_CHANGED,
            actor=locked,
            target=locked,
            region_code=_primary_region(locked),
            changes={"channel": channel, "tokens_revoked": revoked},
        )
    # The caller's user object carries the new hash, for update_session_auth_hash.
    user.password = locked.password
    return revoked


def user_create(
    *, username: str, password: str | None, display_name: str = "", actor: Any = None
) -> User:
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ValidationFailed(
                _("用户名已存在。"), code="accounts.username_taken", fields={"username": username}
            )
        user = User(username=username, display_name=display_name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit_record(
            action="accounts.user.created",
            actor=actor,
            target=user,
            changes={"username": username, "display_name": display_name},
        )
    return user


def grant_create(
    *,
    user: User,
    role: str,
    region_code: str | None,
    organization: Organization | None = None,
    actor: Any = None,
    now: datetime | None = None,
) -> RoleGrant:
    """Grant a role in a region. Granting the same active role again returns the existing
    grant unchanged."""
    if role not in Role.values:
        raise ValidationFailed(
            _("未知的角色。"), code="accounts.role_invalid", fields={"role": role}
        )
    region = None
    if region_code is not None:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise ValidationFailed(
                _("区划不存在。"), code="region.not_found", fields={"region": region_code}
            )
        if region.level not in ALLOWED_LEVELS[role]:
            raise ValidationFailed(
                _("该角色不能授予在此层级的区划上。"),
                code="accounts.grant_level_invalid",
                fields={"region": region_code, "role": role},
            )
    elif role != Role.ADMIN:
        raise ValidationFailed(
            _("除系统管理员外，授权必须指定区划。"), code="accounts.grant_region_required"
        )
    if role == Role.ORG_STAFF and organization is None:
        raise ValidationFailed(
            _("社会组织工作人员必须指定所属组织。"), code="accounts.grant_organization_required"
        )
    with transaction.atomic():
        existing = RoleGrant.objects.filter(
            user=user, role=role, region=region, organization=organization, revoked_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        grant = RoleGrant.objects.create(
            user=user,
            role=role,
            region=region,
            organization=organization,
            granted_by=actor if getattr(actor, "is_authenticated", False) else None,
            granted_at=now or timezone.now(),
        )
        audit_record(
            action="accounts.grant.created",
            actor=actor,
            target=grant,
            region_code=region.code if region else "",
            changes={
                "user": user.username,
                "role": role,
                "region": region.code if region else None,
                "organization": organization.pk if organization else None,
            },
        )
    forget_grants(user)
    return grant


def grant_revoke(*, grant: RoleGrant, actor: Any = None) -> RoleGrant:
    with transaction.atomic():
        locked = RoleGrant.objects.select_for_update().get(pk=grant.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(
                action="accounts.grant.revoked",
                actor=actor,
                target=locked,
                region_code=locked.region_id or "",
                changes={"user": locked.user.username, "role": locked.role},
            )
    forget_grants(locked.user)
    return locked
