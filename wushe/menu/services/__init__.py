"""Every write about the service menu and its orders."""

from .offerings import (
    OfferingSpec,
    offering_create,
    offering_pause,
    offering_resume,
    offering_update,
)
from .orders import (
    NotEligible,
    order_cancel,
    order_confirm,
    order_create,
    order_decline,
    order_deliver,
    order_rate,
    order_schedule,
    places_taken,
)

__all__ = [
    "NotEligible",
    "OfferingSpec",
    "offering_create",
    "offering_pause",
    "offering_resume",
    "offering_update",
    "order_cancel",
    "order_confirm",
    "order_create",
    "order_decline",
    "order_deliver",
    "order_rate",
    "order_schedule",
    "places_taken",
]
