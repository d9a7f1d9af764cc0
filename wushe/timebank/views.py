from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from wushe.core.paging import render_list

from . import selectors


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的时间银行: the user's accounts with balances and the statement of one of them."""
    accounts = list(selectors.accounts_mine(user=request.user))
    if not accounts:
        return render(request, "timebank/mine.html", {"accounts": [], "current": None})
    chosen = request.GET.get("account", "")
    current = next((a for a in accounts if str(a.pk) == chosen), accounts[0])
    if chosen and str(current.pk) != chosen:
        raise Http404
    return render_list(
        request,
        queryset=selectors.statement(account=current),
        template="timebank/mine.html",
        partial_template="timebank/_statement.html",
        context={"accounts": accounts, "current": current},
    )
