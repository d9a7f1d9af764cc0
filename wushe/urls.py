from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from wushe.api import api
from wushe.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("accounts/", include("wushe.accounts.urls")),
    path("regions/", include("wushe.regions.urls")),
    path("audit/", include("wushe.audit.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("wushe.core.urls")),
]

handler400 = "wushe.core.views.error_400"
handler403 = "wushe.core.views.error_403"
handler404 = "wushe.core.views.error_404"
handler500 = "wushe.core.views.error_500"
