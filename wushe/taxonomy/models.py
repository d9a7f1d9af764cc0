"""Configurable lists (分类目录): organisation categories, service categories, volunteer skills,
request categories. domain.md marks these lists *configurable*: administrators add, rename,
reorder or retire terms; the code never hard-codes them. Reference data (copied to every node
under Citus)."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Vocabulary(models.TextChoices):
    ORG_CATEGORY = "org_category", _("社会组织类别")
    SERVICE_CATEGORY = "service_category", _("服务类别")
    SKILL = "skill", _("志愿者技能")
    REQUEST_CATEGORY = "request_category", _("诉求类别")


class Term(models.Model):
    """One entry of a vocabulary. Invariant: `code` is stable (used by imports, API and other
    systems); names may change. A retired term (`active=False`) stays on old records but is no
    longer offered."""

    vocabulary = models.CharField(_("目录"), max_length=30, choices=Vocabulary.choices)
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("分类条目")
        verbose_name_plural = _("分类条目")
        ordering = ["vocabulary", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], name="term_unique_code"),
            models.UniqueConstraint(fields=["vocabulary", "name"], name="term_unique_name"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language (English when chosen and present)."""
        if self.name_en and (translation.get_language() or "").startswith("en"):
            return self.name_en
        return self.name
