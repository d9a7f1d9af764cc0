"""Who may do what with the residents register. Checked by pages, API, import/export and the
privacy app's reveal service; the selectors apply the same rules to querysets.

Decisions (domain.md §10, PIPL arts. 28, 51):

- **See the register** (`view_register`, `view_resident`): WORKER_ROLES in their scope
  (auditors included, read only). A resident sees their own record (`Resident.user`) and no one
  else's. Volunteers, organisation and charity staff do not see the register.
- **Change it** (`add_resident`, `change_resident`): WRITER_ROLES in their scope (the same set
  the import engine uses, so a page, the API and a spreadsheet agree).
- **Reveal a full ID number or phone** (`reveal_resident`): community workers, township
  officers, civil affairs and admins in their scope. Not auditors (they check that records
  were kept, not whom to call), not social workers (they see masked values and reach a resident
  through the community; `personal_reveal` checks the permission per record, not per field, so
  "phone only" cannot be granted cleanly), not residents (their own values are on their ID card).
- **Sensitive tags** (`SENSITIVE_TAGS`: 低保, 特困, 残疾人 with category and grade, 失能,
  计生特殊家庭, 孤儿, 困境儿童): shown only to SENSITIVE_TAG_ROLES in their scope and to the
  resident themself. Anyone else who may see the record (the auditor) sees one placeholder,
  "敏感标签（已隐藏）", when the record carries any: that a record is marked is visible, which
  mark is not. Filtering by a sensitive tag returns nothing outside the sensitive scope, so a
  search cannot reveal what the placeholder hides. The one implementation is `tag_views` /
  `sensitive_scope_q` below; pages, API and exports all go through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import rules
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.utils.translation import gettext_lazy as _

from wushe.accounts.roles import WORKER_ROLES, WRITER_ROLES, Role
from wushe.accounts.scoping import NATIONWIDE, has_role, in_scope, scope_prefixes, scope_q

from .models import Tag

REVEAL_ROLES = frozenset(
    {Role.COMMUNITY_WORKER, Role.TOWNSHIP_OFFICER, Role.CIVIL_AFFAIRS, Role.ADMIN}
)
SENSITIVE_TAG_ROLES = frozenset(
    {
        Role.COMMUNITY_WORKER,
        Role.TOWNSHIP_OFFICER,
        Role.CIVIL_AFFAIRS,
        Role.SOCIAL_WORKER,
        Role.ADMIN,
    }
)
SENSITIVE_TAGS = frozenset(
    {
        Tag.LOW_INCOME,
        Tag.DESTITUTE,
        Tag.DISABLED,
        Tag.INCAPACITATED_ELDER,
        Tag.FAMILY_PLANNING_SPECIAL,
        Tag.ORPHAN,
        Tag.CHILD_IN_DIFFICULTY,
    }
)
HIDDEN_TAG = "sensitive_hidden"
HIDDEN_TAG_LABEL = _("敏感标签（已隐藏）")


def _region_of(obj: Any) -> str:
    return str(getattr(obj, "region_id", "") or "")


@rules.predicate
def in_view_scope(user: Any, obj: Any) -> bool:
    return obj is not None and in_scope(user, _region_of(obj), WORKER_ROLES)


@rules.predicate
def in_writer_scope(user: Any, obj: Any) -> bool:
    return obj is not None and in_scope(user, _region_of(obj), WRITER_ROLES)


@rules.predicate
def in_reveal_scope(user: Any, obj: Any) -> bool:
    return obj is not None and in_scope(user, _region_of(obj), REVEAL_ROLES)


@rules.predicate
def is_own_record(user: Any, obj: Any) -> bool:
    user_id = getattr(obj, "user_id", None)
    return user_id is not None and user_id == getattr(user, "pk", None)


@rules.predicate
def in_sensitive_scope(user: Any, obj: Any) -> bool:
    return obj is not None and in_scope(user, _region_of(obj), SENSITIVE_TAG_ROLES)


@rules.predicate
def is_worker(user: Any) -> bool:
    return has_role(user, *WORKER_ROLES)


@rules.predicate
def is_writer(user: Any) -> bool:
    return has_role(user, *WRITER_ROLES)


@rules.predicate
def is_resident(user: Any) -> bool:
    return has_role(user, Role.RESIDENT)


rules.add_perm("residents.view_register", is_worker)
rules.add_perm("residents.add_resident", is_writer)
rules.add_perm("residents.view_resident", in_view_scope | is_own_record)
rules.add_perm("residents.change_resident", in_writer_scope)
rules.add_perm("residents.reveal_resident", in_reveal_scope)
rules.add_perm("residents.view_sensitive_tags", in_sensitive_scope | is_own_record)
rules.add_perm("residents.view_own_record", is_resident)
rules.add_perm("residents.view_household", in_view_scope)
rules.add_perm("residents.change_household", in_writer_scope)


# --- Sensitive tags: the one implementation ----------------------------------------------------


def is_sensitive(tag: str) -> bool:
    return tag in SENSITIVE_TAGS


def sensitive_visible_annotation(user: Any, field: str = "region") -> Any:
    """A boolean expression for querysets: whether the user may see the sensitive tags of the
    row (the sensitive-tag scope of `sensitive_scope_q`, as a column for exports)."""
    prefixes = scope_prefixes(user, SENSITIVE_TAG_ROLES)
    if NATIONWIDE in prefixes:
        return Value(True)
    if not prefixes:
        return Value(False)
    return ExpressionWrapper(sensitive_scope_q(user, field), output_field=BooleanField())


def sensitive_scope_q(user: Any, field: str = "region") -> Q:
    """Rows (by their region `field`) whose sensitive tags the user may see in a list. Combine
    with `&` only (nationwide is the empty Q, see accounts.scoping.scope_q)."""
    return scope_q(user, field, SENSITIVE_TAG_ROLES)


@dataclass(frozen=True)
class TagView:
    """A tag as one user may see it. A hidden sensitive tag is `tag == HIDDEN_TAG`, with no
    id, dates, source or disability details."""

    id: int | None
    tag: str
    label: str
    sensitive: bool
    disability_category: str = ""
    disability_category_label: str = ""
    disability_grade: str = ""
    disability_grade_label: str = ""
    start_date: date | None = None
    end_date: date | None = None
    source: str = ""
    source_label: str = ""
    notes: str = ""

    @property
    def hidden(self) -> bool:
        return self.tag == HIDDEN_TAG

    @property
    def current(self) -> bool:
        return self.end_date is None


def tag_views(
    user: Any, resident: Any, tags: Iterable[Any], *, show_all: bool | None = None
) -> list[TagView]:
    """The resident's tags as `user` may see them: everything for a sensitive-tag viewer (or
    the resident themself), else the non-sensitive tags plus one placeholder if any sensitive
    tag is among `tags`. Uses cached grants only: no query per row. `show_all` short-cuts the
    permission when the caller computed it in SQL (exports: `sensitive_visible_annotation`)."""
    if show_all is None:
        show_all = user.has_perm("residents.view_sensitive_tags", resident)
    views: list[TagView] = []
    hidden_any = False
    for tag in tags:
        sensitive = is_sensitive(tag.tag)
        if sensitive and not show_all:
            hidden_any = True
            continue
        views.append(
            TagView(
                id=tag.pk,
                tag=tag.tag,
                label=str(tag.get_tag_display()),
                sensitive=sensitive,
                disability_category=tag.disability_category,
                disability_category_label=str(tag.get_disability_category_display())
                if tag.disability_category
                else "",
                disability_grade=tag.disability_grade,
                disability_grade_label=str(tag.get_disability_grade_display())
                if tag.disability_grade
                else "",
                start_date=tag.start_date,
                end_date=tag.end_date,
                source=tag.source,
                source_label=str(tag.get_source_display()),
                notes=tag.notes,
            )
        )
    if hidden_any:
        views.append(TagView(id=None, tag=HIDDEN_TAG, label=str(HIDDEN_TAG_LABEL), sensitive=True))
    return views
