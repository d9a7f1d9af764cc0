"""The reason of a suggestion in Chinese, e.g. "距离 0.8 公里 · 技能匹配 · 本周尚有 2 个空闲时段 ·
评分 4.8", from the engine's score components."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .engine import Need, Supplier
from .engine.instance import FULL_WEEK

SEP = " · "


def reason_text(
    *,
    need: Need,
    supplier: Supplier,
    distance_km: float | None,
    components: dict[str, float],
    load: int,
    estimated: bool = False,
) -> str:
    parts: list[str] = []
    if distance_km is not None:
        text = _("距离 %(km).1f 公里") % {"km": distance_km}
        if estimated:
            text += _("（按社区位置估算）")
        parts.append(text)
    elif supplier.coverage:
        parts.append(_("服务区域覆盖本社区"))
    if components.get("skill", 0) >= 1:
        if need.skills and set(need.skills) & set(supplier.skills):
            parts.append(_("技能匹配"))
        else:
            parts.append(_("服务领域匹配"))
    elif components.get("skill", 0) > 0 and need.skills:
        parts.append(_("技能部分匹配"))
    if supplier.kind == "volunteer":
        window = need.slots or FULL_WEEK
        free = max(0, (supplier.availability & window).bit_count() - load)
        parts.append(_("本周尚有 %(n)d 个空闲时段") % {"n": free})
    if supplier.rating is not None:
        parts.append(_("评分 %(r).1f") % {"r": supplier.rating})
    if supplier.reliability is not None and supplier.reliability >= 0.9:
        parts.append(_("按时完成率 %(p)d%%") % {"p": round(100 * supplier.reliability)})
    if components.get("familiarity", 0) >= 1:
        parts.append(_("曾服务该居民"))
    if load and supplier.kind == "volunteer":
        parts.append(_("在办 %(n)d 件") % {"n": load})
    return SEP.join(parts)
