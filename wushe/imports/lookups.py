"""Region cells → 12-digit codes inside the importer's scope, with one query per distinct value
at most (a county-sized scope is loaded whole up front: a few hundred rows)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q
from django.utils.translation import gettext as _

from wushe.core.errors import ValidationFailed
from wushe.regions import codes
from wushe.regions.models import Region

from .cells import CellError

_PRELOAD_PREFIX = 6  # scopes of a county or narrower are loaded whole


def _scope_q(prefixes: Sequence[str], field: str = "code") -> Q:
    if "" in prefixes:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        low, high = codes.scope_range(prefix)
        q |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return q


class ScopedRegions:
    def __init__(self, prefixes: Sequence[str]) -> None:
        self.prefixes = list(prefixes)
        self._names: dict[str, str] = {}  # code → name, for messages
        self._by_code: dict[str, str | None] = {}  # value → code (None: no such region)
        self._by_name: dict[str, list[str]] = {}  # name → codes in scope
        self._results: dict[str, str | CellError] = {}
        self._preloaded = bool(self.prefixes) and all(
            len(p) >= _PRELOAD_PREFIX for p in self.prefixes
        )
        if self._preloaded:
            for code, name, short in Region.objects.filter(_scope_q(self.prefixes)).values_list(
                "code", "name", "short_name"
            ):
                self._by_code[code] = code
                self._names[code] = name
                for key in {name, short}:
                    if key:
                        self._by_name.setdefault(key, []).append(code)

    def in_scope(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.prefixes)

    def resolve(self, value: str) -> str:
        cached = self._results.get(value)
        if cached is None:
            try:
                cached = self._resolve(value)
            except CellError as exc:
                cached = exc
            self._results[value] = cached
        if isinstance(cached, CellError):
            raise cached
        return cached

    def _label(self, code: str) -> str:
        name = self._names.get(code)
        if name is None:
            name = Region.objects.filter(code=code).values_list("name", flat=True).first() or ""
            self._names[code] = name
        return f"{name}（{code}）" if name else code

    def _resolve(self, value: str) -> str:
        if value.isdigit():
            if len(value) not in (9, 12):
                raise CellError(
                    "format",
                    _("区划代码应为 12 位（或乡镇街道的 9 位）数字：%(value)s。")
                    % {"value": value},
                )
            try:
                code = codes.normalize(value)
            except ValidationFailed:
                raise CellError(
                    "format", _("“%(value)s”不是有效的区划代码。") % {"value": value}
                ) from None
            if not self.in_scope(code):
                if not Region.objects.filter(code=code).exists():
                    raise self._not_found(value)
                raise CellError(
                    "out_of_scope",
                    _("区划“%(region)s”不在您的管辖范围内，不能导入到该区划。")
                    % {"region": self._label(code)},
                )
            if self._preloaded:
                if code not in self._by_code:
                    raise self._not_found(value)
            elif not Region.objects.filter(code=code).exists():
                raise self._not_found(value)
            return code
        return self._resolve_name(value)

    def _resolve_name(self, value: str) -> str:
        if self._preloaded:
            found = self._by_name.get(value, [])
        else:
            found = list(
                Region.objects.filter(_scope_q(self.prefixes))
                .filter(Q(name=value) | Q(short_name=value))
                .values_list("code", flat=True)[:5]
            )
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellError(
                "ambiguous",
                _("您的管辖范围内有多个名为“%(value)s”的区划，请改填 12 位区划代码。")
                % {"value": value},
            )
        elsewhere = (
            Region.objects.filter(Q(name=value) | Q(short_name=value))
            .values_list("code", "name")
            .first()
        )
        if elsewhere is not None:
            raise CellError(
                "out_of_scope",
                _("区划“%(region)s”不在您的管辖范围内，不能导入到该区划。")
                % {"region": f"{elsewhere[1]}（{elsewhere[0]}）"},
            )
        raise self._not_found(value)

    def _not_found(self, value: str) -> CellError:
        return CellError(
            "not_found",
            _("找不到区划“%(value)s”，请填写正确的 12 位区划代码或社区（村）名称。")
            % {"value": value},
        )
