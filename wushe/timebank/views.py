from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wushe.accounts.roles import WRITER_ROLES
from wushe.accounts.scoping import in_scope, scope_filter
from wushe.core.errors import DomainError, NotFound
from wushe.core.forms import show_domain_error
from wushe.core.paging import render_list
from wushe.regions.models import Region

from . import selectors, services
from .forms import MoveForm, RateForm, RedeemForm, SchemeCreateForm, SchemeForm
from .models import Scheme


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的时间银行: the user's accounts with balances, the statement of one of them, and a
    form to donate to the community pool or gift to a relative."""
    accounts = list(selectors.accounts_mine(user=request.user))
    if not accounts:
        return render(request, "timebank/mine.html", {"accounts": [], "current": None})
    chosen = request.GET.get("account", "")
    current = next((a for a in accounts if str(a.pk) == chosen), accounts[0])
    if chosen and str(current.pk) != chosen:
        raise Http404
    targets = selectors.gift_targets(account=current)
    form = MoveForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        amount = data["amount"] * current.scheme.unit_scale
        if amount != amount.to_integral_value() or amount <= 0:
            form.add_error("amount", _("数量不正确。"))
        elif data["kind"] == "gift" and data["target"] is None:
            form.add_error("target", _("请选择转赠对象。"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        units = int(data["amount"] * current.scheme.unit_scale)
        try:
            if data["kind"] == "gift":
                services.coins_gift(
                    source=current,
                    target=data["target"],
                    amount=units,
                    actor=request.user,
                    idempotency_key=data["key"],
                )
            else:
                services.coins_donate(
                    source=current, amount=units, actor=request.user, idempotency_key=data["key"]
                )
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("操作成功。"))
            return redirect(f"{request.path}?account={current.pk}")
    return render_list(
        request,
        queryset=selectors.statement(account=current),
        template="timebank/mine.html",
        partial_template="timebank/_statement.html",
        context={"accounts": accounts, "current": current, "form": form},
    )


@login_required
def store(request: HttpRequest) -> HttpResponse:
    """爱心超市: goods of the stores serving the holder's community, bought with points (stock
    lowered in the same transaction as the points move)."""
    accounts = [a for a in selectors.accounts_mine(user=request.user) if a.scheme.kind == "points"]
    if not accounts:
        return render(request, "timebank/store.html", {"accounts": []})
    chosen = request.GET.get("account", "")
    current = next((a for a in accounts if str(a.pk) == chosen), accounts[0])
    form = RedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer, created = services.coins_redeem(
                source=current,
                store_item=data["item"],
                quantity=data["quantity"],
                actor=request.user,
                idempotency_key=data["key"],
            )
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            if created:
                messages.success(
                    request,
                    _("兑换成功：%(item)s × %(n)d，请到爱心超市领取。")
                    % {"item": transfer.store_item, "n": transfer.quantity},
                )
            return redirect(f"{request.path}?account={current.pk}")
    current.balance.refresh_from_db()
    return render(
        request,
        "timebank/store.html",
        {
            "accounts": accounts,
            "current": current,
            "goods": selectors.store_goods(account=current),
            "redemptions": selectors.redemptions(account=current)[:20],
            "form": RedeemForm(),
        },
    )


@login_required
def pools(request: HttpRequest) -> HttpResponse:
    """社区公益池: the pool accounts in the worker's scope and the statement of one of them."""
    if not request.user.has_perm("timebank.view_pools"):
        raise PermissionDenied
    accounts = list(
        selectors.accounts_in_scope(user=request.user, kind="pool").select_related("region")[:200]
    )
    chosen = request.GET.get("account", "")
    current = next((a for a in accounts if str(a.pk) == chosen), accounts[0] if accounts else None)
    if current is None:
        return render(request, "timebank/pools.html", {"accounts": [], "current": None})
    return render_list(
        request,
        queryset=selectors.statement(account=current),
        template="timebank/pools.html",
        partial_template="timebank/_statement.html",
        context={"accounts": accounts, "current": current},
    )


@login_required
def schemes(request: HttpRequest) -> HttpResponse:
    """The schemes covering the worker's regions; a writer may open a new one for a region
    in scope (a community's own scheme overrides the county's for its volunteers)."""
    if not request.user.has_perm("timebank.view_schemes"):
        raise PermissionDenied
    regions = scope_filter(
        Region.objects.filter(level__in=(3, 4, 5)), request.user, "code", WRITER_ROLES
    ).order_by("code")
    form = SchemeCreateForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scheme = services.scheme_create(
                region_code=data["region"].code,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                actor=request.user,
            )
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            messages.success(request, _("方案已创建，请设置规则。"))
            return redirect("timebank:scheme", pk=scheme.pk)
    return render(
        request,
        "timebank/schemes.html",
        {
            "schemes": selectors.schemes_in_scope(user=request.user),
            "form": form,
            "can_create": regions.exists(),
        },
    )


@login_required
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A scheme's rules (daily cap, storage cap, age gate, gift rule, expiry) and its exchange
    rates; read-only for those who may not change it."""
    if not request.user.has_perm("timebank.view_schemes"):
        raise PermissionDenied
    try:
        scheme = selectors.scheme_get(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    can_edit = in_scope(request.user, scheme.region_id, WRITER_ROLES)
    initial = {f: getattr(scheme, f) for f in services.SCHEME_EDITABLE}
    targets = Scheme.objects.exclude(pk=scheme.pk).order_by("code")
    form = SchemeForm(
        request.POST if request.POST.get("form") == "scheme" else None, initial=initial
    )
    rate_form = RateForm(
        request.POST if request.POST.get("form") == "rate" else None, targets=targets
    )
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    try:
        if request.POST.get("form") == "scheme" and form.is_valid():
            changes = {
                f: form.cleaned_data[f]
                for f in services.SCHEME_EDITABLE
                if form.cleaned_data[f] != initial[f]
            }
            services.scheme_update(scheme=scheme, changes=changes, actor=request.user)
            messages.success(request, _("方案规则已保存，自即日起生效。"))
            return redirect("timebank:scheme", pk=scheme.pk)
        if request.POST.get("form") == "rate" and rate_form.is_valid():
            data = rate_form.cleaned_data
            services.rate_set(
                source=scheme,
                target=data["target"],
                numerator=data["numerator"],
                denominator=data["denominator"],
                actor=request.user,
            )
            messages.success(request, _("兑换比率已保存。"))
            return redirect("timebank:scheme", pk=scheme.pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        show_domain_error(form if request.POST.get("form") == "scheme" else rate_form, exc)
    return render(
        request,
        "timebank/scheme.html",
        {
            "scheme": scheme,
            "can_edit": can_edit,
            "form": form,
            "rate_form": rate_form,
            "rates_out": scheme.rates_out.select_related("target").order_by("target__code"),
            "rates_in": scheme.rates_in.select_related("source").order_by("source__code"),
        },
    )
