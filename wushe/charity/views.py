"""Pages for charity resources. Reads go through selectors, writes through services; a
service's DomainError is shown on the form (Chinese message), NotFound is a 404 page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wushe.core.errors import DomainError, NotFound, PermissionDenied
from wushe.core.paging import CappedPaginator, render_list
from wushe.taxonomy.models import Term, Vocabulary

from . import forms, selectors, services
from .models import CharityFund, DonationKind, DonorKind, FundStatus
from .rules import FUND_WRITER_ROLES, STORE_WRITER_ROLES

INVALID = 422  # a form sent back with errors


def _page_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound → 404 page, PermissionDenied → 403 page (errors a form cannot show)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc.message)) from exc

    return wrapper


def _require(request: HttpRequest, perm: str, obj: Any = None) -> None:
    if not request.user.has_perm(perm, obj):
        raise DjangoPermissionDenied


# --- Overview and funds ----------------------------------------------------------------------


@login_required
@_page_errors
def overview(request: HttpRequest) -> HttpResponse:
    _require(request, "charity.view_resources")
    user = request.user
    funds = CappedPaginator(selectors.funds_with_totals(user=user), 50).get_page(
        request.GET.get("page")
    )
    stores = CappedPaginator(selectors.store_list(user=user), 50).get_page(
        request.GET.get("stores_page")
    )
    return render(
        request,
        "charity/overview.html",
        {
            "funds": funds,
            "stores": stores,
            "can_add_fund": user.has_perm("charity.add_fund"),
            "can_add_store": user.has_perm("charity.add_store"),
        },
    )


@login_required
@_page_errors
def fund_create(request: HttpRequest) -> HttpResponse:
    _require(request, "charity.add_fund")
    regions = selectors.region_choices(
        user=request.user, roles=FUND_WRITER_ROLES, levels={2, 3, 4, 5}
    )
    organizations = selectors.organization_choices(user=request.user, roles=FUND_WRITER_ROLES)
    form = forms.FundForm(request.POST or None, regions=regions, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            fund = services.fund_create(
                region_code=data["region"].code,
                kind=data["kind"],
                name=data["name"],
                managing_org=data["managing_org"],
                opened_on=data["opened_on"],
                purpose_text=data["purpose_text"],
                purposes=list(data["purposes"]),
                public=data["public"],
                actor=request.user,
            )
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("已新建基金：%(name)s。") % {"name": fund.name})
            return redirect("charity:fund_detail", pk=fund.pk)
    return _form_page(request, form, _("新建慈善基金"))


def _form_page(
    request: HttpRequest, form: Any, title: str, back: str = "", intro: str = ""
) -> HttpResponse:
    status = INVALID if request.method == "POST" and form.errors else 200
    return render(
        request,
        "charity/form.html",
        {"form": form, "title": title, "back": back, "intro": intro},
        status=status,
    )


def _ledger_context(request: HttpRequest, fund: CharityFund) -> dict[str, Any]:
    user = request.user
    purposes = list(fund.purposes.all())
    can_record = fund.status == FundStatus.ACTIVE and user.has_perm("charity.add_donation", fund)
    return {
        "fund": fund,
        "purposes": purposes,
        "totals": selectors.fund_totals(fund=fund),
        "can_edit": user.has_perm("charity.change_fund", fund),
        "can_record": can_record,
        "can_reverse": user.has_perm("charity.reverse_donation", fund),
    }


def _donation_form(request: HttpRequest, fund: CharityFund, data: Any = None) -> forms.DonationForm:
    purposes = (
        fund.purposes.all()
        if fund.purposes.exists()
        else Term.objects.filter(vocabulary=Vocabulary.SERVICE_CATEGORY, active=True)
    )
    return forms.DonationForm(
        data,
        donors=selectors.donors_for_target(user=request.user, county_code=fund.county_code),
        purposes=purposes.order_by("order", "code"),
    )


@login_required
@_page_errors
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fund = selectors.fund_get(user=request.user, pk=pk)
    context = _ledger_context(request, fund)
    if context["can_record"] and not request.headers.get("HX-Request"):
        context["donation_form"] = _donation_form(request, fund)
    return render_list(
        request,
        queryset=selectors.fund_ledger(fund=fund),
        template="charity/fund_detail.html",
        partial_template="charity/_ledger.html",
        context=context,
        per_page=50,
    )


@login_required
@_page_errors
@require_POST
def donation_create(request: HttpRequest, pk: int) -> HttpResponse:
    fund = selectors.fund_get(user=request.user, pk=pk)
    # Permission before the form: a role that may only read is refused whatever it posted.
    services.authorize(request.user, "charity.add_donation", fund, view_perm="charity.view_fund")
    form = _donation_form(request, fund, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            amounts = form.amounts()
            services.donation_record(
                fund=fund,
                donor=data["donor"],
                kind=data["kind"],
                received_on=data["received_on"],
                goods_description=data["goods_description"],
                quantity=data["quantity"] or 0,
                unit=data["unit"],
                receipt_no=data["receipt_no"],
                purpose=data["purpose"],
                purpose_text=data["purpose_text"],
                note=data["note"],
                amount_fen=amounts.get("amount_fen", 0),
                estimated_value_fen=amounts.get("estimated_value_fen", 0),
                actor=request.user,
            )
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("捐赠已登记。"))
            return redirect("charity:fund_detail", pk=fund.pk)
    context = _ledger_context(request, fund)
    context["donation_form"] = form
    page = CappedPaginator(selectors.fund_ledger(fund=fund), 50).get_page(1)
    context.update(page=page, query="")
    return render(request, "charity/fund_detail.html", context, status=INVALID)


@login_required
@_page_errors
def fund_edit(request: HttpRequest, pk: int) -> HttpResponse:
    fund = selectors.fund_get(user=request.user, pk=pk)
    _require(request, "charity.change_fund", fund)
    initial = {
        "kind": fund.kind,
        "name": fund.name,
        "managing_org": fund.managing_org,
        "opened_on": fund.opened_on,
        "purposes": list(fund.purposes.all()),
        "purpose_text": fund.purpose_text,
        "public": fund.public,
    }
    organizations = selectors.organization_choices(
        user=request.user, roles=FUND_WRITER_ROLES, current=fund.managing_org_id
    )
    form = forms.FundForm(
        request.POST or None, initial=initial, editing=True, organizations=organizations
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {key: data[key] for key in initial}
        changes["purposes"] = list(data["purposes"])
        try:
            services.fund_update(fund=fund, changes=changes, actor=request.user)
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("基金信息已保存。"))
            return redirect("charity:fund_detail", pk=fund.pk)
    return _form_page(request, form, _("修改基金：%(name)s") % {"name": fund.name})


@login_required
@_page_errors
@require_POST
def fund_close(request: HttpRequest, pk: int) -> HttpResponse:
    fund = selectors.fund_get(user=request.user, pk=pk)
    try:
        services.fund_close(fund=fund, actor=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("基金已关闭，不再接收新的捐赠。"))
    return redirect("charity:fund_detail", pk=fund.pk)


@login_required
@_page_errors
@require_POST
def donation_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    donation = selectors.donation_get(user=request.user, pk=pk)
    services.authorize(  # permission before the form
        request.user, "charity.reverse_donation", donation, view_perm="charity.view_donation"
    )
    form = forms.ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写冲正原因。"))
    else:
        try:
            services.donation_reverse(
                donation=donation, reason=form.cleaned_data["reason"], actor=request.user
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已追加冲正记录。"))
    if donation.fund_id:
        return redirect("charity:fund_detail", pk=donation.fund_id)
    if donation.store_id:
        return redirect("charity:store_detail", pk=donation.store_id)
    return redirect("charity:overview")


# --- Donors ----------------------------------------------------------------------------------


@login_required
@_page_errors
def donor_list(request: HttpRequest) -> HttpResponse:
    _require(request, "charity.view_resources")
    form = forms.DonorFilterForm(request.GET or None)
    filters = selectors.DonorFilter()
    if form.is_valid():
        filters = selectors.DonorFilter(q=form.cleaned_data["q"], kind=form.cleaned_data["kind"])
    return render_list(
        request,
        queryset=selectors.donor_search(user=request.user, filters=filters),
        template="charity/donor_list.html",
        partial_template="charity/_donor_results.html",
        context={"form": form, "can_add": request.user.has_perm("charity.add_donor")},
    )


@login_required
@_page_errors
def donor_create(request: HttpRequest) -> HttpResponse:
    _require(request, "charity.add_donor")
    regions = selectors.region_choices(
        user=request.user, roles=FUND_WRITER_ROLES, levels={2, 3, 4, 5}
    )
    form = forms.DonorForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            donor = services.donor_create(
                region_code=data["region"].code,
                kind=data["kind"],
                name=data["name"],
                phone=data["phone"],
                id_number=data["id_number"],
                credit_code=data["credit_code"],
                contact_name=data["contact_name"],
                anonymous=data["anonymous"],
                note=data["note"],
                actor=request.user,
            )
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("已登记捐赠人：%(name)s。") % {"name": donor.name})
            return redirect("charity:donor_detail", pk=donor.pk)
    return _form_page(
        request,
        form,
        _("登记捐赠人"),
        intro=_(
            "个人的身份证号和手机号码加密保存，页面只显示脱敏信息；查看完整信息须填写事由并留痕。"
        ),
    )


@login_required
@_page_errors
def donor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    donor = selectors.donor_get(user=request.user, pk=pk)
    entries = selectors.donation_search(
        user=request.user, filters=selectors.DonationFilter(donor=donor.pk)
    )
    return render_list(
        request,
        queryset=entries,
        template="charity/donor_detail.html",
        partial_template="charity/_donor_donations.html",
        context={
            "donor": donor,
            "totals": selectors.donation_totals(entries=entries),
            "can_edit": request.user.has_perm("charity.change_donor", donor),
            "can_reveal": request.user.has_perm("charity.reveal_donor", donor),
            "is_person": donor.kind == DonorKind.PERSON,
        },
    )


@login_required
@_page_errors
def donor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    donor = selectors.donor_get(user=request.user, pk=pk)
    _require(request, "charity.change_donor", donor)
    initial = {
        "name": donor.name,
        "credit_code": donor.credit_code,
        "contact_name": donor.contact_name,
        "anonymous": donor.anonymous,
        "note": donor.note,
    }
    form = forms.DonorForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {key: data[key] for key in initial}
        for sealed in ("phone", "id_number"):
            if data[sealed]:  # blank keeps the sealed value
                changes[sealed] = data[sealed]
        try:
            services.donor_update(donor=donor, changes=changes, actor=request.user)
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("捐赠人信息已保存。"))
            return redirect("charity:donor_detail", pk=donor.pk)
    return _form_page(request, form, _("修改捐赠人：%(name)s") % {"name": donor.name})


# --- Stores ----------------------------------------------------------------------------------


@login_required
@_page_errors
def store_create(request: HttpRequest) -> HttpResponse:
    _require(request, "charity.add_store")
    regions = selectors.region_choices(user=request.user, roles=STORE_WRITER_ROLES, levels={4, 5})
    organizations = selectors.organization_choices(user=request.user, roles=STORE_WRITER_ROLES)
    form = forms.StoreForm(request.POST or None, regions=regions, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            store = services.store_create(
                region_code=data["region"].code,
                name=data["name"],
                address=data["address"],
                operator=data["operator"],
                opening_hours=data["opening_hours"],
                active=data["active"],
                actor=request.user,
            )
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("已新建爱心超市：%(name)s。") % {"name": store.name})
            return redirect("charity:store_detail", pk=store.pk)
    return _form_page(request, form, _("新建爱心超市"))


def _store_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    store = selectors.store_get(user=request.user, pk=pk)
    user = request.user
    return {
        "store": store,
        "items": selectors.store_items(user=user, store=store),
        "can_edit": user.has_perm("charity.change_store", store),
        "can_add_item": user.has_perm("charity.add_storeitem", store),
        "can_restock": user.has_perm("charity.restock_storeitem", store),
        "can_record": store.active and user.has_perm("charity.add_donation", store),
        "can_reverse": user.has_perm("charity.reverse_donation", store),
        # Workers and charity staff in scope; residents/volunteers only see the goods page.
        "is_worker": user.has_perm("charity.view_resources", store),
        "goods_donations": selectors.donation_search(
            user=user, filters=selectors.DonationFilter(store=store.pk, kind=DonationKind.GOODS)
        )[:20],
    }


@login_required
@_page_errors
def store_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _store_context(request, pk)
    if not context["is_worker"]:
        # Residents and volunteers: the read-only goods page of their store.
        return redirect("charity:goods")
    context["item_form"] = forms.ItemForm()
    if context["can_record"]:
        context["goods_form"] = _goods_form(request, context["store"])
    return render(request, "charity/store_detail.html", context)


def _goods_form(request: HttpRequest, store: Any, data: Any = None) -> forms.GoodsDonationForm:
    return forms.GoodsDonationForm(
        data, donors=selectors.donors_for_target(user=request.user, county_code=store.county_code)
    )


@login_required
@_page_errors
@require_POST
def store_goods_donation(request: HttpRequest, pk: int) -> HttpResponse:
    context = _store_context(request, pk)
    if not context["is_worker"]:
        raise Http404
    store = context["store"]
    # Permission before the form.
    services.authorize(request.user, "charity.add_donation", store, view_perm="charity.view_store")
    form = _goods_form(request, store, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.donation_record(
                store=store,
                donor=data["donor"],
                kind=DonationKind.GOODS,
                received_on=data["received_on"],
                goods_description=data["goods_description"],
                quantity=data["quantity"],
                unit=data["unit"],
                estimated_value_fen=form.amounts()["estimated_value_fen"],
                receipt_no=data["receipt_no"],
                note=data["note"],
                actor=request.user,
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("物资捐赠已登记。"))
            return redirect("charity:store_detail", pk=store.pk)
    context.update(item_form=forms.ItemForm(), goods_form=form)
    return render(request, "charity/store_detail.html", context, status=INVALID)


@login_required
@_page_errors
def store_edit(request: HttpRequest, pk: int) -> HttpResponse:
    store = selectors.store_get(user=request.user, pk=pk)
    if not request.user.has_perm("charity.view_resources", store):
        raise Http404
    _require(request, "charity.change_store", store)
    initial = {
        "name": store.name,
        "address": store.address,
        "operator": store.operator,
        "opening_hours": store.opening_hours,
        "active": store.active,
    }
    organizations = selectors.organization_choices(
        user=request.user, roles=STORE_WRITER_ROLES, current=store.operator_id
    )
    form = forms.StoreForm(
        request.POST or None, initial=initial, editing=True, organizations=organizations
    )
    if request.method == "POST" and form.is_valid():
        changes = {key: form.cleaned_data[key] for key in initial}
        try:
            services.store_update(store=store, changes=changes, actor=request.user)
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("爱心超市信息已保存。"))
            return redirect("charity:store_detail", pk=store.pk)
    return _form_page(request, form, _("修改爱心超市：%(name)s") % {"name": store.name})


@login_required
@_page_errors
@require_POST
def item_create(request: HttpRequest, pk: int) -> HttpResponse:
    context = _store_context(request, pk)
    if not context["is_worker"]:
        raise Http404
    store = context["store"]
    # Permission before the form.
    services.authorize(request.user, "charity.add_storeitem", store, view_perm="charity.view_store")
    form = forms.ItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.store_item_create(
                store=store,
                name=data["name"],
                unit=data["unit"],
                points_price=data["points_price"],
                stock=data["stock"],
                active=data["active"],
                actor=request.user,
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("物品已上架。"))
            return redirect("charity:store_detail", pk=store.pk)
    context["item_form"] = form
    return render(request, "charity/store_detail.html", context, status=INVALID)


@login_required
@_page_errors
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(user=request.user, pk=pk)
    _require(request, "charity.change_storeitem", item)
    initial = {
        "name": item.name,
        "unit": item.unit,
        "points_price": item.points_price,
        "active": item.active,
    }
    form = forms.ItemForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        changes = {key: form.cleaned_data[key] for key in initial}
        try:
            services.store_item_update(item=item, changes=changes, actor=request.user)
        except DomainError as exc:
            forms.apply_error(form, exc)
        else:
            messages.success(request, _("物品信息已保存。"))
            return redirect("charity:store_detail", pk=item.store_id)
    return _form_page(
        request,
        form,
        _("修改物品：%(name)s") % {"name": item.name},
        intro=_("库存不能直接修改：进货请用“补货”，兑换扣减将随时间银行上线。"),
    )


@login_required
@_page_errors
@require_POST
def item_restock(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.item_get(user=request.user, pk=pk)
    services.authorize(  # permission before the form
        request.user, "charity.restock_storeitem", item, view_perm="charity.view_storeitem"
    )
    form = forms.RestockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("补货数量须为正整数。"))
    else:
        try:
            updated = services.store_item_restock(
                item=item,
                quantity=form.cleaned_data["quantity"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("%(name)s 已补货，现有库存 %(stock)s%(unit)s。")
                % {"name": updated.name, "stock": updated.stock, "unit": updated.unit},
            )
    return redirect("charity:store_detail", pk=item.store_id)


# --- Residents and volunteers ----------------------------------------------------------------


@login_required
@_page_errors
def goods(request: HttpRequest) -> HttpResponse:
    """The 爱心超市 of the user's community: what is on the shelf, for how many points."""
    _require(request, "charity.browse_goods")
    return render(
        request, "charity/goods.html", {"stores": selectors.stores_serving(user=request.user)}
    )
