"""The roles of the platform and what each may be granted on (domain.md §2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    VOLUNTEER = "volunteer", _("志愿者")
    SOCIAL_WORKER = "social_worker", _("社会工作者")
    ORG_STAFF = "org_staff", _("社会组织工作人员")
    CHARITY_STAFF = "charity_staff", _("慈善资源工作人员")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    TOWNSHIP_OFFICER = "township_officer", _("乡镇（街道）工作人员")
    CIVIL_AFFAIRS = "civil_affairs", _("民政部门")
    AUDITOR = "auditor", _("审计员（只读）")
    ADMIN = "admin", _("系统管理员")


# Region levels (wushe.regions.codes.Level) a grant of each role may name. Admin may also be
# granted without a region, meaning nationwide.
ALLOWED_LEVELS: dict[str, frozenset[int]] = {
    Role.RESIDENT: frozenset({5}),
    Role.VOLUNTEER: frozenset({4, 5}),
    Role.SOCIAL_WORKER: frozenset({4, 5}),
    Role.ORG_STAFF: frozenset({3, 4, 5}),
    Role.CHARITY_STAFF: frozenset({2, 3, 4, 5}),
    Role.COMMUNITY_WORKER: frozenset({5}),
    Role.TOWNSHIP_OFFICER: frozenset({4}),
    Role.CIVIL_AFFAIRS: frozenset({1, 2, 3}),
    Role.AUDITOR: frozenset({1, 2, 3, 4}),
    Role.ADMIN: frozenset({1, 2, 3}),
}

# Roles whose grant opens region-wide registers (people, organisations, requests …) of their
# region to them. Residents and volunteers see their own records, not their neighbours'.
WORKER_ROLES = frozenset(
    {
        Role.SOCIAL_WORKER,
        Role.COMMUNITY_WORKER,
        Role.TOWNSHIP_OFFICER,
        Role.CIVIL_AFFAIRS,
        Role.AUDITOR,
        Role.ADMIN,
    }
)
# Roles that may change region-wide records (the auditor only reads).
WRITER_ROLES = WORKER_ROLES - {Role.AUDITOR}

ROLE_DESCRIPTIONS: dict[str, object] = {
    Role.RESIDENT: _("提出服务需求、从服务菜单点单、评价服务、查看办理进度。"),
    Role.VOLUNTEER: _("报名志愿服务活动、签到签退、查看服务时长与时间银行余额。"),
    Role.SOCIAL_WORKER: _("承接服务需求、开展探访、引领志愿者、记录专业服务。"),
    Role.ORG_STAFF: _("管理本组织的服务项目、服务菜单与服务记录，申报公益创投与政府购买项目。"),
    Role.CHARITY_STAFF: _("管理慈善资源、社区基金与爱心超市，公开资金使用情况。"),
    Role.COMMUNITY_WORKER: _("维护本社区的居民、组织与志愿者台账，受理并派发居民诉求。"),
    Role.TOWNSHIP_OFFICER: _("统筹本乡镇（街道）各社区的工作，督办逾期诉求，查看指标。"),
    Role.CIVIL_AFFAIRS: _("查看辖区各级指标与台账，督办、统计与年度报告。"),
    Role.AUDITOR: _("只读查看辖区数据与审计日志，不能修改任何记录。"),
    Role.ADMIN: _("管理账号、授权与平台配置。"),
}
