"""The access matrix: what every API operation and every page must answer to each role.

Outcomes (see docs/security.md, "Access matrix"):
- OK: the call got past the permission check: 2xx, or a 400/409/422 (the minimal body the
  test sends may be refused, which still proves access), or for pages a redirect elsewhere
  than the login page. Called with an object outside the role's region, the role must then
  get DENIED: below the county for OUT (海洲街道, another township of 海宁), below the province
  for COUNTY (海盐县, another county of 浙江), and the 浙江 province officer too for PROVINCE
  (昆山市, 江苏); the province officer in 海盐 must get OK (access_world.OUT_OF_REACH).
- ANY: OK inside and outside the region (reference data and public disclosure).
- DENIED: 403, or 404 for an object hidden by scope.
- LOGIN: 401 (API) or a redirect to the login page.

`row(DEFAULT, role=OUTCOME, …)` gives every role the default except those named; anonymous is
LOGIN unless named. Columns: wushe/core/tests/access_world.py ROLES."""

from __future__ import annotations

from .access_world import ROLES

OK, ANY, DENIED, LOGIN = "ok", "any", "denied", "login"


def row(default: str, /, **roles: str) -> dict[str, str]:
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown roles in the access matrix: {unknown}"
    values = dict.fromkeys(ROLES, default)
    values["anonymous"] = LOGIN
    values.update({role: value.lower() for role, value in roles.items()})
    return values


# Page routes not walked: (prefix of the route) and single routes with the reason.
SKIPPED_PREFIXES = ("admin/", "api/v1/", "static/", "media/", "__debug__/")
SKIPPED_PAGES: dict[str, str] = {
    "/accounts/logout/": "ends the session the matrix signs in with",
    "/matching/lines/<int:line_id>/decide/": (
        "the world has no proposal line (needs located open requests and indexed volunteers); "
        "wushe/matching/tests/test_proposals.py covers who may decide"
    ),
}

# Values of page path parameters that are not objects (a transition name, a field …).
PAGE_VALUES: dict[str, dict[str, str]] = {
    "/privacy/reveal/<str:subject_type>/<int:subject_id>/<str:field>/": {
        "subject_type": "residents.resident",
        "field": "id_number",
    },
    "/organizations/<int:pk>/<str:transition>/": {"transition": "register"},
    "/volunteers/<int:pk>/<str:action>/": {"action": "suspend"},
    "/activities/scan/<str:token>/": {"token": "matrix-unknown-token"},
    "/activities/records/<int:pk>/<str:action>/": {"action": "verify"},
    "/activities/certificates/<str:number>/print/": {"number": "matrix-unknown"},
    "/menu/orders/<int:order_id>/<str:action>/": {"action": "confirm"},
    "/needs/<int:need_id>/<str:action>/": {"action": "dismiss"},
    "/projects/calls/<int:call_id>/<slug:action>/": {"action": "stop-intake"},
}

# Pages that need a form to reach their permission check (posted instead of a GET).
PAGE_FORMS: dict[str, dict[str, str]] = {
    "/privacy/reveal/<str:subject_type>/<int:subject_id>/<str:field>/": {
        "reason": "核实居民身份信息"
    },
}

API: dict[str, dict[str, str]] = {
    "POST /api/v1/activities/{activity_id}/records": row(DENIED, volunteer=ANY),
    "GET /api/v1/activities/records": row(OK),
    "POST /api/v1/activities/records/{record_id}/verify": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/activities/records/{record_id}/reject": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/activities/records/{record_id}/correct": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/activities": row(OK),
    "POST /api/v1/activities": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/activities/{activity_id}": row(ANY),
    "POST /api/v1/activities/{activity_id}/signup": row(DENIED, volunteer=ANY),
    "DELETE /api/v1/activities/{activity_id}/signup": row(DENIED),
    "POST /api/v1/activities/{activity_id}/sign-in": row(DENIED),
    "POST /api/v1/activities/{activity_id}/sign-out": row(DENIED),
    "GET /api/v1/activities/{activity_id}/signups": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/audit/events": row(DENIED, auditor=OK, admin=OK),
    "POST /api/v1/auth/token": row(LOGIN),
    "GET /api/v1/auth/tokens": row(OK),
    "POST /api/v1/auth/token/revoke": row(OK),
    "DELETE /api/v1/auth/tokens/{token_id}": row(DENIED, resident=OK),
    "POST /api/v1/auth/password": row(OK),
    "GET /api/v1/charity/funds": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/charity/funds": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/charity/funds/{fund_id}": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, community=DENIED, reviewer=DENIED
    ),
    "PATCH /api/v1/charity/funds/{fund_id}": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/charity/funds/{fund_id}/close": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/charity/donors": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/charity/donors": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/charity/donors/{donor_id}": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, community=DENIED, reviewer=DENIED
    ),
    "PATCH /api/v1/charity/donors/{donor_id}": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/charity/donations": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/charity/donations": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/charity/donations/{donation_id}": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, community=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/charity/donations/{donation_id}/reverse": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/charity/stores": row(OK, org_staff=DENIED, reviewer=DENIED),
    "POST /api/v1/charity/stores": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/charity/stores/{store_id}": row(OK, org_staff=DENIED, reviewer=DENIED),
    "PATCH /api/v1/charity/stores/{store_id}": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/charity/stores/{store_id}/items": row(OK, org_staff=DENIED, reviewer=DENIED),
    "POST /api/v1/charity/stores/{store_id}/items": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "PATCH /api/v1/charity/items/{item_id}": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/charity/items/{item_id}/restock": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/exports/{kind}": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "GET /api/v1/households": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "POST /api/v1/households": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/households/{household_id}": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "PATCH /api/v1/households/{household_id}": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/imports": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/imports": row(OK),
    "GET /api/v1/imports/{job_id}": row(DENIED, community=OK, admin=OK),
    "GET /api/v1/imports/{job_id}/issues": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/imports/{job_id}/commit": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/imports/{job_id}/cancel": row(DENIED, community=OK, admin=OK),
    "GET /api/v1/imports/{job_id}/errors.xlsx": row(DENIED, community=OK, admin=OK),
    "GET /api/v1/imports/templates/{kind}": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/indicators": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "GET /api/v1/indicators/{code}/breakdown": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "GET /api/v1/matching/suggestions": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/matching/proposals": row(DENIED, township=OK, county=OK, province=OK, admin=OK),
    "GET /api/v1/matching/proposals/{proposal_id}": row(
        DENIED, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "POST /api/v1/matching/proposals/{proposal_id}/confirm": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/matching/proposals/{proposal_id}/discard": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/me": row(OK),
    "GET /api/v1/needs": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "POST /api/v1/needs": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/needs/groups": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "POST /api/v1/needs/from-request": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/needs/{need_id}": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "POST /api/v1/needs/{need_id}/address": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/needs/{need_id}/dismiss": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/needs/{need_id}/reopen": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/notifications": row(OK),
    "GET /api/v1/notifications/unread-count": row(OK),
    "POST /api/v1/notifications/read-all": row(OK),
    "POST /api/v1/notifications/{notification_id}/read": row(DENIED, resident=OK),
    "GET /api/v1/notifications/preferences": row(OK),
    "PUT /api/v1/notifications/preferences": row(OK),
    "GET /api/v1/orders": row(OK),
    "POST /api/v1/orders": row(
        OK,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        auditor=DENIED,
        reviewer=DENIED,
    ),
    "GET /api/v1/orders/satisfaction": row(OK),
    "GET /api/v1/orders/{order_id}": row(
        OK, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/orders/{order_id}/confirm": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/orders/{order_id}/decline": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/orders/{order_id}/schedule": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/orders/{order_id}/deliver": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/orders/{order_id}/rate": row(DENIED, resident=OK),
    "POST /api/v1/orders/{order_id}/cancel": row(
        OK, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/organizations": row(OK, resident=DENIED, volunteer=DENIED, reviewer=DENIED),
    "POST /api/v1/organizations": row(
        DENIED, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/organizations/{pk}": row(OK, resident=DENIED, volunteer=DENIED, reviewer=DENIED),
    "PATCH /api/v1/organizations/{pk}": row(
        DENIED, org_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/organizations/{pk}/register": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/organizations/{pk}/file": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/organizations/{pk}/deregister": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/organizations/{pk}/grade": row(DENIED, county=OK, province=OK, admin=OK),
    "GET /api/v1/party-members": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "POST /api/v1/party-members": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/party-members/{checkin_id}": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "PATCH /api/v1/party-members/{checkin_id}": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/party-members/{checkin_id}/end": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/personal/reveal": row(
        DENIED, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/projects/calls": row(OK),
    "POST /api/v1/projects/calls": row(DENIED, township=OK, county=OK, province=OK, admin=OK),
    "GET /api/v1/projects/calls/{call_id}": row(OK),
    "POST /api/v1/projects/calls/{call_id}/stop-intake": row(
        DENIED, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/projects/calls/{call_id}/close": row(DENIED, county=OK, province=OK, admin=OK),
    "POST /api/v1/projects/calls/{call_id}/panel": row(DENIED, county=OK, province=OK, admin=OK),
    "GET /api/v1/projects/calls/{call_id}/allowance": row(OK),
    "PUT /api/v1/projects/assistance/{county_code}/{year}": row(
        DENIED, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/projects/calls/{call_id}/results.xlsx": row(
        DENIED, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/projects/calls/{call_id}/proposals": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/projects": row(OK),
    "GET /api/v1/projects/{project_id}": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED
    ),
    "POST /api/v1/projects/{project_id}/reviews": row(DENIED, reviewer=OK),
    "POST /api/v1/projects/{project_id}/approve": row(DENIED, county=OK, province=OK, admin=OK),
    "POST /api/v1/projects/{project_id}/reject": row(DENIED, county=OK, province=OK, admin=OK),
    "POST /api/v1/projects/{project_id}/withdraw": row(DENIED, org_staff=OK),
    "POST /api/v1/projects/{project_id}/evaluate": row(DENIED, county=OK, province=OK, admin=OK),
    "POST /api/v1/projects/{project_id}/close": row(DENIED, county=OK, province=OK, admin=OK),
    "GET /api/v1/projects/{project_id}/expenditures": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED
    ),
    "POST /api/v1/projects/{project_id}/expenditures": row(
        DENIED, org_staff=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/projects/{project_id}/expenditures/{expenditure_id}/attachment": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED
    ),
    "GET /api/v1/projects/{project_id}/ledger.xlsx": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED
    ),
    "POST /api/v1/projects/{project_id}/activities": row(
        DENIED, org_staff=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/projects/{project_id}/milestones": row(
        DENIED, org_staff=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/projects/milestones/{milestone_id}/complete": row(
        DENIED, org_staff=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/projects/{project_id}/ratings": row(DENIED, resident=OK),
    "GET /api/v1/public/projects": row(ANY, anonymous=ANY),
    "GET /api/v1/public/projects/totals": row(ANY, anonymous=ANY),
    "GET /api/v1/public/projects/{project_id}": row(ANY, anonymous=ANY),
    "GET /api/v1/public/projects/{project_id}/ledger": row(ANY, anonymous=ANY),
    "GET /api/v1/public/organizations": row(ANY, anonymous=ANY),
    "GET /api/v1/public/organizations/{organization_id}": row(ANY, anonymous=ANY),
    "GET /api/v1/public/funds": row(ANY, anonymous=ANY),
    "GET /api/v1/public/funds/donations": row(ANY, anonymous=ANY),
    "GET /api/v1/public/funds/expenditures": row(ANY, anonymous=ANY),
    "GET /api/v1/public/funds/donations/total": row(ANY, anonymous=ANY),
    "GET /api/v1/regions": row(OK),
    "GET /api/v1/regions/{code}": row(ANY),
    "POST /api/v1/requests": row(OK),
    "GET /api/v1/requests": row(OK),
    "GET /api/v1/requests/counts": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "GET /api/v1/requests/eligible-handlers": row(DENIED, community=OK, admin=OK),
    "GET /api/v1/requests/{request_id}": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/requests/{request_id}/accept": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/requests/{request_id}/reject": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/requests/{request_id}/merge": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/requests/{request_id}/dispatch": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/requests/{request_id}/claim": row(DENIED),
    "POST /api/v1/requests/{request_id}/start": row(DENIED),
    "POST /api/v1/requests/{request_id}/resolve": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/requests/{request_id}/confirm": row(DENIED, resident=OK),
    "POST /api/v1/requests/{request_id}/rate": row(DENIED, resident=OK),
    "POST /api/v1/requests/{request_id}/reopen": row(DENIED, resident=OK),
    "POST /api/v1/requests/{request_id}/cancel": row(DENIED, resident=OK),
    "POST /api/v1/requests/{request_id}/escalate": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/requests/{request_id}/supervise": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/requests/{request_id}/follow-up": row(DENIED, community=OK, admin=OK),
    "POST /api/v1/requests/{request_id}/photos": row(DENIED, resident=OK, community=OK, admin=OK),
    "GET /api/v1/requests/{request_id}/photos/{photo_id}": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/residents": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/residents": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/residents/{resident_id}": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "PATCH /api/v1/residents/{resident_id}": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/residents/{resident_id}/tags": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/residents/{resident_id}/tags/{tag_id}/end": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/residents/{resident_id}/move-out": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/residents/{resident_id}/consents": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/services": row(OK),
    "POST /api/v1/services": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/services/{offering_id}": row(OK, reviewer=DENIED),
    "PUT /api/v1/services/{offering_id}": row(
        DENIED, social_worker=OK, org_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/services/{offering_id}/pause": row(
        DENIED, social_worker=OK, org_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/services/{offering_id}/resume": row(
        DENIED, social_worker=OK, org_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/social-workers": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/social-workers": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/social-workers/{worker_id}": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "PATCH /api/v1/social-workers/{worker_id}": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/social-workers/{worker_id}/renewals": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/social-workers/{worker_id}/education": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/stations": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/stations": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/stations/{station_id}": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "PATCH /api/v1/stations/{station_id}": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/timebank/accounts/mine": row(OK),
    "GET /api/v1/timebank/accounts": row(OK),
    "GET /api/v1/timebank/accounts/{account_id}": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/timebank/accounts/{account_id}/statement": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/timebank/transfers": row(
        OK,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        auditor=DENIED,
        reviewer=DENIED,
    ),
    "POST /api/v1/timebank/exchange": row(
        OK,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        auditor=DENIED,
        reviewer=DENIED,
    ),
    "GET /api/v1/timebank/accounts/{account_id}/store-goods": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/visits/due": row(
        OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/visits/due/counts": row(
        OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "GET /api/v1/visits/enrolments/{enrolment_id}": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "POST /api/v1/visits/enrolments": row(DENIED, community=OK, township=OK, admin=OK),
    "POST /api/v1/visits/enrolments/{enrolment_id}/assign": row(
        DENIED, community=OK, township=OK, admin=OK
    ),
    "POST /api/v1/visits/enrolments/{enrolment_id}/end": row(
        DENIED, community=OK, township=OK, admin=OK
    ),
    "GET /api/v1/visits/enrolments/{enrolment_id}/visits": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "POST /api/v1/visits/enrolments/{enrolment_id}/visits": row(
        DENIED, social_worker=OK, community=OK, admin=OK
    ),
    "POST /api/v1/visits/visits/{visit_id}/request": row(
        DENIED, social_worker=OK, community=OK, admin=OK
    ),
    "GET /api/v1/visits/rate": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "GET /api/v1/visits/overview": row(
        DENIED, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "POST /api/v1/visits/overrides": row(DENIED, township=OK, county=OK, province=OK, admin=OK),
    "POST /api/v1/visits/overrides/{override_id}/end": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/visits/plan/rules": row(DENIED, township=OK, county=OK, province=OK, admin=OK),
    "POST /api/v1/visits/plan/frequencies": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/volunteer-teams": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/volunteer-teams": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/volunteer-teams/{team_id}": row(
        OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "PATCH /api/v1/volunteer-teams/{team_id}": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/volunteer-teams/{team_id}/members": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "DELETE /api/v1/volunteer-teams/{team_id}/members/{volunteer_id}": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/volunteers": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/volunteers": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "GET /api/v1/volunteers/me": row(DENIED, volunteer=OK),
    "GET /api/v1/volunteers/{volunteer_id}": row(
        OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "PATCH /api/v1/volunteers/{volunteer_id}": row(
        OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "POST /api/v1/volunteers/{volunteer_id}/suspend": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/volunteers/{volunteer_id}/reactivate": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "POST /api/v1/volunteers/{volunteer_id}/withdraw": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
}

PAGES: dict[str, dict[str, str]] = {
    "/accounts/login/": row(ANY, anonymous=ANY),
    "/accounts/password/": row(OK),
    "/activities/": row(OK),
    "/activities/new/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "/activities/mine/": row(OK),
    "/activities/queue/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "/activities/export/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "/activities/<int:pk>/": row(ANY),
    "/activities/<int:pk>/qr/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/activities/<int:pk>/signup/": row(DENIED, volunteer=OK),
    "/activities/<int:pk>/sheet/<int:volunteer_pk>/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/activities/scan/<str:token>/": row(DENIED),
    "/activities/records/<int:pk>/<str:action>/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/activities/certificates/": row(ANY, anonymous=ANY),
    "/activities/certificates/issue/": row(OK),
    "/activities/certificates/<str:number>/print/": row(DENIED),
    "/audit/": row(DENIED, auditor=OK, admin=OK),
    "/charity/": row(OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, reviewer=DENIED),
    "/charity/funds/new/": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/funds/<int:pk>/": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, community=DENIED, reviewer=DENIED
    ),
    "/charity/funds/<int:pk>/edit/": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/funds/<int:pk>/close/": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/funds/<int:pk>/donations/": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/donations/<int:pk>/reverse/": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/donors/": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, reviewer=DENIED
    ),
    "/charity/donors/new/": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/donors/<int:pk>/": row(
        OK, resident=DENIED, volunteer=DENIED, org_staff=DENIED, community=DENIED, reviewer=DENIED
    ),
    "/charity/donors/<int:pk>/edit/": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/stores/new/": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/stores/<int:pk>/": row(OK, org_staff=DENIED, reviewer=DENIED),
    "/charity/stores/<int:pk>/edit/": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/stores/<int:pk>/items/": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/stores/<int:pk>/donations/": row(
        DENIED, charity_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/items/<int:pk>/edit/": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/items/<int:pk>/restock/": row(
        DENIED, charity_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/charity/goods/": row(DENIED, resident=OK, volunteer=OK),
    "/disclosure/": row(ANY, anonymous=ANY),
    "/disclosure/projects/": row(ANY, anonymous=ANY),
    "/disclosure/projects/<int:project_id>/": row(ANY, anonymous=ANY),
    "/disclosure/organizations/": row(ANY, anonymous=ANY),
    "/disclosure/organizations/<int:organization_id>/": row(ANY, anonymous=ANY),
    "/disclosure/funds/": row(ANY, anonymous=ANY),
    "/disclosure/funds/donations/": row(ANY, anonymous=ANY),
    "/disclosure/funds/expenditures/": row(ANY, anonymous=ANY),
    "/healthz": row(ANY, anonymous=ANY),
    "/": row(OK),
    "/i18n/setlang/": row(ANY, anonymous=ANY),
    "/imports/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/imports/<int:job_id>/": row(DENIED, community=OK, admin=OK),
    "/imports/<int:job_id>/progress/": row(DENIED, community=OK, admin=OK),
    "/imports/<int:job_id>/commit/": row(DENIED, community=OK, admin=OK),
    "/imports/<int:job_id>/cancel/": row(DENIED, community=OK, admin=OK),
    "/imports/<int:job_id>/errors.xlsx": row(DENIED, community=OK, admin=OK),
    "/imports/templates/<slug:kind>/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/imports/export/<slug:kind>/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/indicators/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/indicators/targets/": row(DENIED, county=OK, province=OK, admin=OK),
    "/indicators/report/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/indicators/report.xlsx": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/indicators/<str:code>/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/matching/": row(DENIED, township=OK, county=OK, province=OK, auditor=OK, admin=OK),
    "/matching/proposals/<int:proposal_id>/": row(
        DENIED, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "/matching/proposals/<int:proposal_id>/confirm/": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "/matching/proposals/<int:proposal_id>/discard/": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "/matching/settings/<str:region_code>/": row(DENIED, county=OK, province=OK, admin=OK),
    "/menu/": row(
        OK,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        auditor=DENIED,
        reviewer=DENIED,
    ),
    "/menu/mine/": row(OK),
    "/menu/order/<int:offering_id>/": row(OK),
    "/menu/orders/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/menu/orders/<int:order_id>/": row(
        OK, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/menu/orders/<int:order_id>/<str:action>/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "/menu/offerings/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "/menu/offerings/new/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "/menu/offerings/<int:offering_id>/": row(
        DENIED, social_worker=OK, org_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/menu/offerings/<int:offering_id>/toggle/": row(
        DENIED, social_worker=OK, org_staff=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    # Scraped from loopback only (wushe.ops.metrics.may_scrape): the test client is 127.0.0.1.
    "/metrics": row(ANY, anonymous=ANY),
    "/needs/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/needs/select/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/needs/list/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/needs/new/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/needs/from-request/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/needs/<int:need_id>/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/needs/<int:need_id>/<str:action>/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/notifications/": row(OK),
    "/notifications/settings/": row(OK),
    "/notifications/read-all/": row(OK),
    "/notifications/<int:notification_id>/open/": row(DENIED, resident=OK),
    "/notifications/<int:notification_id>/read/": row(DENIED, resident=OK),
    "/organizations/": row(OK, resident=DENIED, volunteer=DENIED, reviewer=DENIED),
    "/organizations/new/": row(DENIED, community=OK, township=OK, county=OK, province=OK, admin=OK),
    "/organizations/<int:pk>/": row(OK, resident=DENIED, volunteer=DENIED, reviewer=DENIED),
    "/organizations/<int:pk>/edit/": row(
        DENIED, org_staff=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/organizations/<int:pk>/grade/": row(DENIED, county=OK, province=OK, admin=OK),
    "/organizations/<int:pk>/<str:transition>/": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "/partymembers/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/partymembers/new/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/partymembers/<int:checkin_id>/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/partymembers/<int:checkin_id>/edit/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/partymembers/<int:checkin_id>/end/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/privacy/reveal/<str:subject_type>/<int:subject_id>/<str:field>/": row(
        DENIED, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/projects/": row(OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED),
    "/projects/calls/": row(OK),
    "/projects/calls/new/": row(DENIED, township=OK, county=OK, province=OK, admin=OK),
    "/projects/calls/<int:call_id>/": row(OK),
    "/projects/calls/<int:call_id>/apply/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "/projects/calls/<int:call_id>/panel/": row(OK),
    "/projects/calls/<int:call_id>/assistance/": row(OK),
    "/projects/calls/<int:call_id>/results.xlsx": row(DENIED, county=OK, province=OK, admin=OK),
    "/projects/calls/<int:call_id>/<slug:action>/": row(DENIED, county=OK, province=OK, admin=OK),
    "/projects/from-needs/": row(DENIED),
    "/projects/<int:project_id>/": row(OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED),
    "/projects/<int:project_id>/review/": row(OK),
    "/projects/<int:project_id>/approve/": row(OK),
    "/projects/<int:project_id>/reject/": row(OK),
    "/projects/<int:project_id>/withdraw/": row(DENIED, org_staff=OK),
    "/projects/<int:project_id>/evaluate/": row(DENIED, county=OK, province=OK, admin=OK),
    "/projects/<int:project_id>/close/": row(DENIED, county=OK, province=OK, admin=OK),
    "/projects/<int:project_id>/expenditures/": row(OK),
    "/projects/<int:project_id>/expenditures/<int:expenditure_id>/attachment/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED
    ),
    "/projects/<int:project_id>/activities/": row(OK),
    "/projects/<int:project_id>/milestones/": row(OK),
    "/projects/<int:project_id>/milestones/<int:milestone_id>/done/": row(
        DENIED, org_staff=OK, county=OK, province=OK, admin=OK
    ),
    "/projects/<int:project_id>/rate/": row(OK),
    "/projects/<int:project_id>/ledger.xlsx": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED
    ),
    "/regions/": row(OK),
    "/regions/picker/": row(OK),
    "/regions/search/": row(OK),
    "/regions/<str:code>/": row(ANY),
    "/regions/<str:code>/select/": row(ANY),
    "/requests/": row(OK),
    "/requests/new/": row(
        DENIED, resident=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/requests/inbox/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/requests/inbox/accept/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/requests/supervision/": row(
        DENIED, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "/requests/tasks/": row(DENIED, volunteer=OK, social_worker=OK, org_staff=OK),
    "/requests/<int:request_id>/": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/requests/<int:request_id>/accept/": row(DENIED, community=OK, admin=OK),
    "/requests/<int:request_id>/reject/": row(DENIED, community=OK, admin=OK),
    "/requests/<int:request_id>/merge/": row(DENIED, community=OK, admin=OK),
    "/requests/<int:request_id>/dispatch/": row(DENIED, community=OK, admin=OK),
    "/requests/<int:request_id>/claim/": row(DENIED),
    "/requests/<int:request_id>/start/": row(DENIED),
    "/requests/<int:request_id>/resolve/": row(DENIED, community=OK, admin=OK),
    "/requests/<int:request_id>/confirm/": row(DENIED, resident=OK),
    "/requests/<int:request_id>/reopen/": row(DENIED, resident=OK),
    "/requests/<int:request_id>/cancel/": row(DENIED, resident=OK),
    "/requests/<int:request_id>/escalate/": row(DENIED, community=OK, admin=OK),
    "/requests/<int:request_id>/supervise/": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "/requests/<int:request_id>/follow-up/": row(DENIED, community=OK, admin=OK),
    # Like the API: the submitter and the community (and admin) add photos; the rest are refused
    # before the files are looked at (photo_add_check).
    "/requests/<int:request_id>/photos/": row(DENIED, resident=OK, community=OK, admin=OK),
    "/requests/<int:request_id>/photos/<int:photo_id>/": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/residents/": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/residents/me/": row(OK),
    "/residents/new/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/residents/<int:pk>/": row(
        OK, volunteer=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/residents/<int:pk>/edit/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/residents/<int:pk>/tags/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/residents/<int:pk>/tags/<int:tag_id>/end/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/residents/<int:pk>/move-out/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/residents/<int:pk>/consents/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/residents/households/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/residents/households/new/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/residents/households/<int:pk>/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/socialworkers/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/socialworkers/new/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/socialworkers/<int:worker_id>/": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "/socialworkers/<int:worker_id>/edit/": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/socialworkers/<int:worker_id>/renewals/": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/socialworkers/<int:worker_id>/education/": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/stations/": row(OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED),
    "/stations/new/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/stations/<int:station_id>/": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, auditor=OK, admin=OK
    ),
    "/stations/<int:station_id>/edit/": row(
        DENIED, social_worker=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/timebank/": row(OK),
    "/timebank/store/": row(OK),
    "/timebank/pools/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/timebank/schemes/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/timebank/schemes/<int:pk>/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/visits/": row(OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED),
    "/visits/overview/": row(DENIED, township=OK, county=OK, province=OK, auditor=OK, admin=OK),
    "/visits/plan/": row(DENIED, township=OK, county=OK, province=OK, admin=OK),
    "/visits/plan/overrides/<int:override_id>/end/": row(
        DENIED, township=OK, county=OK, province=OK, admin=OK
    ),
    "/visits/enrol/": row(DENIED, community=OK, township=OK, admin=OK),
    "/visits/enrolments/<int:enrolment_id>/": row(
        OK,
        resident=DENIED,
        volunteer=DENIED,
        org_staff=DENIED,
        charity_staff=DENIED,
        reviewer=DENIED,
    ),
    "/visits/enrolments/<int:enrolment_id>/visit/": row(
        DENIED, social_worker=OK, community=OK, admin=OK
    ),
    "/visits/enrolments/<int:enrolment_id>/assign/": row(
        DENIED, community=OK, township=OK, admin=OK
    ),
    "/visits/enrolments/<int:enrolment_id>/end/": row(DENIED, community=OK, township=OK, admin=OK),
    "/visits/visits/<int:visit_id>/request/": row(DENIED, social_worker=OK, community=OK, admin=OK),
    "/volunteers/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/volunteers/new/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/volunteers/me/": row(DENIED, volunteer=OK),
    "/volunteers/teams/": row(
        OK, resident=DENIED, volunteer=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/volunteers/teams/<int:pk>/": row(
        OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/volunteers/teams/<int:pk>/members/<int:volunteer_pk>/remove/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
    "/volunteers/<int:pk>/": row(
        OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, reviewer=DENIED
    ),
    "/volunteers/<int:pk>/edit/": row(
        OK, resident=DENIED, org_staff=DENIED, charity_staff=DENIED, auditor=DENIED, reviewer=DENIED
    ),
    "/volunteers/<int:pk>/<str:action>/": row(
        DENIED, social_worker=OK, community=OK, township=OK, county=OK, province=OK, admin=OK
    ),
}
