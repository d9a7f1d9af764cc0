from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from wushe.accounts.auth import API_AUTH

from .services import personal_reveal

router = Router(tags=["privacy"], auth=API_AUTH)


class RevealIn(Schema):
    subject_type: str = Field(..., description="登记对象类型，如 residents.resident", max_length=60)
    subject_id: int
    field: Literal["id_number", "phone"]
    reason: str = Field(..., description="查看事由（写入审计日志）", max_length=200)


class RevealOut(Schema):
    value: str


@router.post("/personal/reveal", response=RevealOut, summary="查看完整个人信息（需事由，留痕）")
def reveal(request: HttpRequest, payload: RevealIn) -> dict[str, str]:
    value = personal_reveal(
        actor=request.user,
        subject_type=payload.subject_type,
        subject_id=payload.subject_id,
        field=payload.field,
        reason=payload.reason,
    )
    return {"value": value}
