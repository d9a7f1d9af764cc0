from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wushe.core.errors import DomainError, NotFound
from wushe.core.paging import render_list

from . import selectors, services
from .forms import MoveForm


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
