"""Indicators of the project database (wushe.indicators.registry): money spent on projects,
the share of approved budgets spent, projects approved and people served. All by the region
where the project is delivered."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from wushe.indicators.registry import Direction, Indicator, Measure, Over, Period, register

from .models import FUNDED_STATUSES, Activity, Expenditure, Project

YUAN_PER_FEN = Decimal("0.01")
TOPIC = _("项目与资金")


def _expenditures(period: Period) -> QuerySet[Expenditure]:
    return Expenditure.objects.filter(spent_on__gte=period.first_day, spent_on__lt=period.end_day)


def _funded(period: Period) -> QuerySet[Project]:
    # Current state of every funded project (a register without history: Over.SNAPSHOT).
    return Project.objects.filter(status__in=FUNDED_STATUSES)


def _approved_in(period: Period) -> QuerySet[Project]:
    return Project.objects.filter(
        status__in=FUNDED_STATUSES, decided_at__gte=period.start, decided_at__lt=period.end
    )


def _activities(period: Period) -> QuerySet[Activity]:
    return Activity.objects.filter(held_on__gte=period.first_day, held_on__lt=period.end_day)


register(
    Indicator(
        code="projects.spending",
        name=_("项目资金支出额"),
        unit=_("元"),
        scale=YUAN_PER_FEN,
        numerator=Measure(_expenditures, aggregate=Sum("amount_fen")),
        definition=_("统计期内公益创投、政府购买服务等项目登记的支出之和，按项目服务区域"),
        source=_("河北、浙江关于政府购买社会工作服务和公益创投的文件"),
        topic=TOPIC,
        order=800,
        decimals=2,
        numerator_label=_("支出（分）"),
    )
)

register(
    Indicator(
        code="projects.budget_execution",
        name=_("项目预算执行率"),
        unit=_("%"),
        scale=100,
        numerator=Measure(_funded, aggregate=Sum("spent_fen"), over=Over.SNAPSHOT),
        denominator=Measure(_funded, aggregate=Sum("approved_fen"), over=Over.SNAPSHOT),
        definition=_("已立项项目累计支出 ÷ 立项预算 × 100%（当前状态）"),
        source=_("项目资金信息公开要求"),
        direction=Direction.HIGHER,
        topic=TOPIC,
        order=810,
        numerator_label=_("累计支出（分）"),
        denominator_label=_("立项预算（分）"),
    )
)

register(
    Indicator(
        code="projects.approved",
        name=_("立项项目数"),
        unit=_("个"),
        numerator=Measure(_approved_in),
        definition=_("统计期内批准立项的公益创投和政府购买服务项目数"),
        source=_("海宁市“厢里乡亲·七彩社区”公益创投"),
        topic=TOPIC,
        order=820,
        decimals=0,
    )
)

register(
    Indicator(
        code="projects.beneficiaries",
        name=_("项目服务受益人次"),
        unit=_("人次"),
        numerator=Measure(_activities, aggregate=Sum("beneficiaries")),
        definition=_("统计期内项目活动记录的受益人次之和"),
        source=_("项目活动记录"),
        topic=TOPIC,
        order=830,
        decimals=0,
    )
)
