from __future__ import annotations

from django import template

from wushe.socialworkers import registration
from wushe.socialworkers.models import SocialWorker
from wushe.socialworkers.selectors import standing_of

register = template.Library()


@register.simple_tag
def standing(worker: SocialWorker) -> registration.Standing:
    """`{% standing worker as s %}`: deadline and continuing-education state for today."""
    return standing_of(worker)
