"""Spreadsheet import and export of the organisation register (kind "organizations").

Rows are matched to the register by credit code, else by (registering region, name). A row
updates what it fills in; empty cells keep the stored values."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wushe.core.bounds import STAFF_MAX
from wushe.core.identifiers import CreditCode
from wushe.imports.adapters import CleanRow, Column, ImportAdapter, ImportContext, Kind, RowInvalid
from wushe.regions.models import Region
from wushe.taxonomy.models import Vocabulary

from . import rules as org_rules
from .forms import OrganizationFilterForm
from .models import GRADE_ELIGIBLE_YEARS, Grade, LegalStatus, Organization, OrgKind, add_years
from .selectors import (
    organization_search,
    primary_contact,
    region_label,
    regions_resolve,
    writer_prefixes,
)
from .services import (
    KIND_MISMATCH_WARNING,
    ImportedOrganization,
    grade_expiry,
    organizations_import,
)

_KIND_LABELS: tuple[tuple[str, Any], ...] = (
    (OrgKind.ASSOCIATION, _("社会团体")),
    (OrgKind.SERVICE_AGENCY, _("社会服务机构")),
    (OrgKind.SERVICE_AGENCY, _("民办非企业单位")),
    (OrgKind.FOUNDATION, _("基金会")),
    (OrgKind.COMMUNITY, _("社区社会组织")),
)
_STATUS_LABELS: tuple[tuple[str, Any], ...] = (
    *LegalStatus.choices,
    (LegalStatus.REGISTERED, _("已登记")),
    (LegalStatus.FILED, _("已备案")),
    (LegalStatus.INFORMAL, _("未登记")),
    (LegalStatus.DEREGISTERED, _("注销")),
)
_CODE_KIND = {"1": OrgKind.ASSOCIATION, "2": OrgKind.SERVICE_AGENCY, "3": OrgKind.FOUNDATION}
_DATE_COLUMNS = ("founded_on", "registered_on", "filed_on", "grade_awarded_on")
_PLAIN_COLUMNS = (
    "filing_number",
    "legal_representative",
    "address",
    "founded_on",
    "registered_on",
    "filed_on",
    "is_hub",
    "is_charity",
    "is_social_work_agency",
    "has_party_org",
    "staff_full_time",
    "staff_part_time",
    "staff_social_workers",
)


def parse_grade(raw: object) -> str | None:
    """'3A', '3a', 'AAA', '３Ａ', '3A级', '4A级社会组织' → '3A'; '' → ''; None when unreadable."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip().upper()
    text = text.replace("级", "").replace("社会组织", "").replace(" ", "")
    if not text:
        return ""
    if text in Grade.values:
        return text
    if set(text) == {"A"} and 1 <= len(text) <= 5:
        return f"{len(text)}A"
    return None


class OrganizationAdapter(ImportAdapter):
    kind = "organizations"
    entity = "organization"
    label = _("社会组织")
    import_permission = "organizations.import_organizations"
    export_permission = "organizations.export_organizations"
    columns = (
        Column(
            "name",
            "组织名称",
            aliases=("社会组织名称", "名称", "单位名称", "组织全称"),
            required=True,
            max_length=200,
            example="海宁市硖石街道邻里守望志愿服务社",
        ),
        Column(
            "credit_code",
            "统一社会信用代码",
            aliases=("信用代码", "社会信用代码", "统一代码"),
            kind=Kind.CREDIT_CODE,
            example="52330481MJ0000018H",
            help=_("已登记的组织必填；备案和未登记的组织不填。"),
        ),
        Column(
            "filing_number",
            "备案编号",
            aliases=("备案号", "备案证号"),
            max_length=50,
            help=_("备案的社区社会组织填写乡镇（街道）发放的备案编号。"),
        ),
        Column(
            "legal_status",
            "登记状态",
            aliases=("状态", "登记备案状态"),
            kind=Kind.CHOICE,
            choices=_STATUS_LABELS,
            example="备案",
            help=_("登记、备案、未登记群众团队、已注销；不填时有信用代码的按登记，否则按备案。"),
        ),
        Column(
            "org_kind",
            "组织类型",
            aliases=("类型", "组织形式"),
            kind=Kind.CHOICE,
            choices=_KIND_LABELS,
            example="社区社会组织",
            help=_("社会团体、社会服务机构（民办非企业单位）、基金会、社区社会组织。"),
        ),
        Column(
            "category",
            "组织类别",
            aliases=("类别",),
            kind=Kind.TERMS,
            vocabulary=Vocabulary.ORG_CATEGORY,
            example="居民互助类",
        ),
        Column(
            "service_categories",
            "服务领域",
            aliases=("服务类别", "服务内容"),
            kind=Kind.TERMS,
            vocabulary=Vocabulary.SERVICE_CATEGORY,
            example="养老服务、助残服务",
        ),
        # TEXT rather than Kind.REGION: the registering authority (the township for filed
        # organisations, the county for registered ones) usually lies above a community
        # worker's own scope; placement is checked per row by the register's own rule.
        Column(
            "region",
            "登记机关区划",
            aliases=("登记区划", "备案区划", "登记管理机关区划", "登记机关"),
            required=True,
            example="硖石街道",
            help=_("登记（备案）机关所在区划：名称或 12 位区划代码。"),
        ),
        Column(
            "coverage",
            "服务社区",
            aliases=("服务区域", "服务范围"),
            kind=Kind.MULTI,
            example="南关厢社区、东山社区",
            help=_("多个社区用顿号分隔；可写名称或区划代码。"),
        ),
        Column("grade", "评估等级", aliases=("等级",), example="3A"),
        Column("grade_awarded_on", "等级评定日期", aliases=("评估日期",), kind=Kind.DATE),
        Column(
            "legal_representative",
            "法定代表人",
            aliases=("负责人", "法定代表人（负责人）"),
            max_length=50,
        ),
        Column("contact_name", "联系人", max_length=50),
        Column(
            "contact_phone",
            "联系电话",
            aliases=("手机号码", "联系方式", "联系人电话"),
            kind=Kind.PHONE,
        ),
        Column("address", "地址", aliases=("住所", "办公地址"), max_length=200),
        Column("founded_on", "成立日期", kind=Kind.DATE),
        Column("registered_on", "登记日期", kind=Kind.DATE),
        Column("filed_on", "备案日期", kind=Kind.DATE),
        Column("is_hub", "是否枢纽型组织", aliases=("枢纽型",), kind=Kind.BOOL),
        Column("is_charity", "是否慈善组织", aliases=("慈善组织",), kind=Kind.BOOL),
        Column("is_social_work_agency", "是否社工机构", aliases=("社工机构",), kind=Kind.BOOL),
        Column("has_party_org", "是否建立党组织", aliases=("党组织",), kind=Kind.BOOL),
        Column("staff_full_time", "专职人员数", kind=Kind.INT, max_value=STAFF_MAX),
        Column("staff_part_time", "兼职人员数", kind=Kind.INT, max_value=STAFF_MAX),
        Column("staff_social_workers", "持证社工数", kind=Kind.INT, max_value=STAFF_MAX),
    )

    # --- import -------------------------------------------------------------------------

    def prepare(self, ctx: ImportContext) -> None:
        # Names are looked up in the counties the importer works in, so a community worker can
        # name the township that filed an organisation.
        prefixes = writer_prefixes(ctx.user)
        ctx.cache["within"] = sorted({p[:6] if len(p) > 6 else p for p in prefixes})
        ctx.cache["seen_names"] = {}
        ctx.cache["names_by_key"] = {}

    def clean(self, row: dict[str, Any], ctx: ImportContext) -> dict[str, Any]:
        if "within" not in ctx.cache:
            self.prepare(ctx)
        errors: list[tuple[str, str, Any]] = []
        today = ctx.today
        name = " ".join(str(row.get("name") or "").split())
        credit: CreditCode | None = row.get("credit_code")
        status = row.get("legal_status") or (
            LegalStatus.REGISTERED if credit is not None else LegalStatus.FILED
        )
        kind = row.get("org_kind")
        if not kind:
            kind = (
                _CODE_KIND.get(credit.org_type, OrgKind.COMMUNITY)
                if credit is not None and credit.department == "5"
                else OrgKind.COMMUNITY
            )
        warnings = list(credit.warnings) if credit is not None else []
        if credit is not None and credit.department == "5":
            expected = _CODE_KIND.get(credit.org_type)
            if expected and kind not in (expected, OrgKind.COMMUNITY):
                warnings.append(KIND_MISMATCH_WARNING)

        if status == LegalStatus.REGISTERED and credit is None:
            errors.append(
                ("credit_code", "required", gettext("已登记的社会组织须填写统一社会信用代码。"))
            )
        if credit is not None and status in (LegalStatus.FILED, LegalStatus.INFORMAL):
            errors.append(
                (
                    "credit_code",
                    "not_for_filed",
                    gettext(
                        "备案或未登记的组织没有统一社会信用代码：请删去，或把登记状态改为“登记”。"
                    ),
                )
            )

        region_code = ""
        found, missing = regions_resolve(
            [str(row.get("region") or "")], within=ctx.cache["within"], min_level=1
        )
        if found:
            region_code = found[0]
        else:
            errors.append(
                (
                    "region",
                    "not_found",
                    gettext("找不到登记机关区划“%(v)s”，或名称不唯一：请填写 12 位区划代码。")
                    % {"v": row.get("region")},
                )
            )
        coverage: list[str] | None = None
        if row.get("coverage"):
            coverage, missing = regions_resolve(row["coverage"], within=ctx.cache["within"])
            if missing:
                errors.append(
                    (
                        "coverage",
                        "not_found",
                        gettext("找不到服务社区：%(v)s（或名称不唯一，请写区划代码）。")
                        % {"v": "、".join(missing)},
                    )
                )
        if region_code and not org_rules.may_place(
            ctx.user, org_kind=kind, region_code=region_code, coverage=coverage or []
        ):
            errors.append(
                (
                    "region",
                    "out_of_scope",
                    gettext("该组织的登记区划或服务社区不在您的管理范围内。"),
                )
            )

        category_terms = row.get("category") or []
        if len(category_terms) > 1:
            errors.append(("category", "multiple", gettext("组织类别只能填写一个。")))

        grade = parse_grade(row.get("grade"))
        awarded = row.get("grade_awarded_on")
        if grade is None:
            errors.append(("grade", "invalid", gettext("评估等级应为 1A 至 5A（也可写 AAA）。")))
        elif grade:
            if status != LegalStatus.REGISTERED:
                errors.append(
                    ("grade", "not_registered", gettext("只有已登记的社会组织才有评估等级。"))
                )
            if awarded is None:
                errors.append(
                    ("grade_awarded_on", "required", gettext("填写评估等级时须填写等级评定日期。"))
                )
            elif row.get("registered_on") and awarded < add_years(
                row["registered_on"], GRADE_ELIGIBLE_YEARS
            ):
                errors.append(
                    (
                        "grade_awarded_on",
                        "too_early",
                        gettext("取得登记证书满两年后方可参加评估，评定日期早于此。"),
                    )
                )
        for field in _DATE_COLUMNS:
            value = row.get(field)
            if isinstance(value, date) and value > today:
                errors.append((field, "future", gettext("日期不能晚于今天。")))
        if row.get("contact_phone") and not row.get("contact_name"):
            errors.append(
                ("contact_name", "required", gettext("填写联系电话时，请同时填写联系人姓名。"))
            )
        if region_code and name:
            # Same region and name under another key (one row with a credit code, one
            # without) would be two records for one organisation; the engine catches the rest.
            code = credit.code if credit is not None else ""
            first_code = ctx.cache["seen_names"].setdefault((region_code, name), code)
            if first_code != code:
                errors.append(
                    (
                        "name",
                        "duplicate_in_file",
                        gettext("同一区划内的同名组织在文件中出现了两次。"),
                    )
                )
        if errors:
            raise RowInvalid(errors=errors)

        values: dict[str, Any] = {
            "name": name,
            "region_id": region_code,
            "legal_status": status,
            "org_kind": kind,
        }
        if credit is not None:
            values["credit_code"] = credit.code
            values["credit_code_warnings"] = warnings
        elif status in (LegalStatus.FILED, LegalStatus.INFORMAL):
            values["credit_code"] = ""
            values["credit_code_warnings"] = []
        for field in _PLAIN_COLUMNS:
            value = row.get(field)
            if value is not None and value != "":
                values[field] = value
        if grade and awarded is not None:
            values.update(
                grade=grade, grade_awarded_on=awarded, grade_expires_on=grade_expiry(awarded)
            )
        return {
            "imported": ImportedOrganization(
                values=values,
                category=category_terms[0].code if category_terms else None,
                service_categories=[t.code for t in row["service_categories"]]
                if row.get("service_categories")
                else None,
                coverage=coverage,
                contact_name=str(row.get("contact_name") or "").strip(),
                contact_phone=str(row.get("contact_phone") or ""),
            ),
            "credit_code": credit.code if credit is not None else "",
            "region": region_code,
            "name": name,
        }

    def key(self, data: dict[str, Any], ctx: ImportContext) -> str | None:
        key = (
            f"code:{data['credit_code']}"
            if data["credit_code"]
            else f"name:{data['region']}|{data['name']}"
        )
        ctx.cache.setdefault("names_by_key", {})[key] = (data["region"], data["name"])
        return key

    def existing(self, keys: Sequence[str], ctx: ImportContext) -> dict[str, Any]:
        names_by_key: dict[str, tuple[str, str]] = ctx.cache.get("names_by_key", {})
        by_code = {k.removeprefix("code:"): k for k in keys if k.startswith("code:")}
        query = Q(credit_code__in=list(by_code))
        for key in keys:
            if key in names_by_key:
                region, name = names_by_key[key]
                query |= Q(region_id=region, name=name)
        found = list(Organization.objects.filter(query).prefetch_related("coverage"))
        code_index = {o.credit_code: o for o in found if o.credit_code}
        name_index = {(str(o.region_id), o.name): o for o in found}
        result: dict[str, Any] = {}
        for key in keys:
            code = key.removeprefix("code:") if key.startswith("code:") else ""
            org = code_index.get(code) if code else None
            if org is None and key in names_by_key:
                org = name_index.get(names_by_key[key])
            if org is not None:
                result[key] = org.pk if org_rules.may_change(ctx.user, org) else None
        return result

    def write(self, rows: Sequence[CleanRow], ctx: ImportContext) -> tuple[int, int]:
        imported: list[ImportedOrganization] = []
        for row in rows:
            item: ImportedOrganization = row.data["imported"]
            item.existing_pk = row.existing_pk
            imported.append(item)
        return organizations_import(rows=imported, actor=ctx.user)

    # --- export -------------------------------------------------------------------------

    def export_queryset(self, ctx: ImportContext) -> QuerySet[Any]:
        """What the list page shows with the same filters (passed through by the engine)."""
        filters = OrganizationFilterForm(getattr(ctx, "filters", None) or None).to_filter()
        if filters is None:
            return Organization.objects.none()
        return organization_search(user=ctx.user, filters=filters, today=ctx.today).order_by(
            "region_id", "name", "id"
        )

    def export_row(self, obj: Any) -> list[Any]:
        org: Organization = obj
        contact = primary_contact(org)
        yes, no = gettext("是"), gettext("否")
        values: dict[str, Any] = {
            "name": org.name,
            "credit_code": org.credit_code,
            "filing_number": org.filing_number,
            "legal_status": org.get_legal_status_display(),
            "org_kind": dict(_KIND_LABELS).get(org.org_kind, org.org_kind),
            "category": org.category.name if org.category else "",
            "service_categories": "、".join(t.name for t in org.service_categories.all()),
            "region": region_label(org.region),
            "coverage": "、".join(region_label(r) for r in _sorted_regions(org)),
            "grade": org.grade,
            "grade_awarded_on": org.grade_awarded_on,
            "legal_representative": org.legal_representative,
            "contact_name": contact.name if contact else "",
            "contact_phone": contact.phone_masked if contact else "",  # masked, never the value
            "address": org.address,
            "founded_on": org.founded_on,
            "registered_on": org.registered_on,
            "filed_on": org.filed_on,
            "is_hub": yes if org.is_hub else no,
            "is_charity": yes if org.is_charity else no,
            "is_social_work_agency": yes if org.is_social_work_agency else no,
            "has_party_org": yes if org.has_party_org else no,
            "staff_full_time": org.staff_full_time,
            "staff_part_time": org.staff_part_time,
            "staff_social_workers": org.staff_social_workers,
        }
        return [values[column.field] for column in self.columns]


def _sorted_regions(org: Organization) -> list[Region]:
    return sorted(org.coverage.all(), key=lambda r: r.code)
