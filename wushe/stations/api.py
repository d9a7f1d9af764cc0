from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from wushe.accounts.auth import API_AUTH
from wushe.core.errors import PermissionDenied
from wushe.core.paging import CappedLimitOffsetPagination
from wushe.regions import codes

from . import selectors, services
from .models import ServiceStation

router = Router(tags=["stations"], auth=API_AUTH)


class RegionRef(Schema):
    code: str
    name: str


class OrganizationRef(Schema):
    id: int
    name: str


class StationOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    region: RegionRef
    county_code: str
    address: str
    operator: OrganizationRef | None
    service_area_m2: Decimal | None
    phone: str
    opened_on: date | None
    closed_on: date | None
    active: bool
    staff_count: int = Field(description="在职社会工作者人数")
    resident_staff_count: int = Field(description="驻站社会工作者人数")

    @staticmethod
    def resolve_kind_label(obj: ServiceStation) -> str:
        return str(obj.get_kind_display())


class StationIn(Schema):
    kind: str = Field(
        ...,
        description="social_work 社工站 / volunteer 志愿服务站点 / "
        "incubator 孵化基地 / party_service 党群服务中心",
    )
    name: str = Field(..., max_length=100)
    region: str = Field(..., description="区划代码（社工站为乡镇街道，志愿服务站点为社区）")
    address: str = Field("", max_length=200)
    operator_id: int | None = None
    service_area_m2: Decimal | None = Field(None, ge=0, max_digits=9, decimal_places=2)
    phone: str = Field("", max_length=30)
    opened_on: date | None = None
    closed_on: date | None = None
    active: bool = True


class StationPatch(Schema):
    kind: str | None = None
    name: str | None = Field(None, max_length=100)
    region: str | None = None
    address: str | None = Field(None, max_length=200)
    operator_id: int | None = None
    service_area_m2: Decimal | None = Field(None, ge=0, max_digits=9, decimal_places=2)
    phone: str | None = Field(None, max_length=30)
    opened_on: date | None = None
    closed_on: date | None = None
    active: bool | None = None


class StationQuery(Schema):
    kind: str = ""
    region: str = Field("", description="区划代码：只列该区划及其下级的站点")
    active: bool | None = None
    q: str = Field("", description="名称或地址中的文字")
    understaffed: bool = Field(False, description="只列驻站社工不足 2 人的社工站")


@router.get("/stations", response=list[StationOut], summary="服务站点列表")
@paginate(CappedLimitOffsetPagination)
def list_stations(request: HttpRequest, filters: Query[StationQuery]) -> QuerySet[ServiceStation]:
    if not request.user.has_perm("stations.view_servicestation"):
        raise PermissionDenied(_("您的角色不能查看服务站点。"), code="station.forbidden")
    region = codes.significant_prefix(codes.normalize(filters.region)) if filters.region else ""
    return selectors.station_search(
        user=request.user,
        filters=selectors.StationFilter(
            kind=filters.kind,
            region=region,
            active=filters.active,
            q=filters.q,
            understaffed=filters.understaffed,
        ),
    )


@router.get("/stations/{station_id}", response=StationOut, summary="服务站点详情")
def get_station(request: HttpRequest, station_id: int) -> ServiceStation:
    return selectors.station_get(user=request.user, station_id=station_id)


@router.post("/stations", response={201: StationOut}, summary="登记服务站点")
def create_station(request: HttpRequest, payload: StationIn) -> Status[ServiceStation]:
    station = services.station_create(
        actor=request.user,
        kind=payload.kind,
        name=payload.name,
        region_code=payload.region,
        address=payload.address,
        operator_id=payload.operator_id,
        service_area_m2=payload.service_area_m2,
        phone=payload.phone,
        opened_on=payload.opened_on,
        closed_on=payload.closed_on,
        active=payload.active,
    )
    return Status(201, selectors.station_get(user=request.user, station_id=station.pk))


@router.patch("/stations/{station_id}", response=StationOut, summary="修改服务站点")
def update_station(request: HttpRequest, station_id: int, payload: StationPatch) -> ServiceStation:
    changes = payload.dict(exclude_unset=True)
    if "operator_id" in changes:
        changes["operator"] = changes.pop("operator_id")
    services.station_update(actor=request.user, station_id=station_id, changes=changes)
    return selectors.station_get(user=request.user, station_id=station_id)
