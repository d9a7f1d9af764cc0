"""URL configuration. Every installed `wushe.*` app with a `urls` module is mounted under
`/<app label>/` with its `app_name` as namespace (core's pages sit at the root)."""

from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from wushe.api import api
from wushe.core import views as core_views
from wushe.ops.metrics import metrics_view

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
for app in settings.INSTALLED_APPS:
    if app.startswith("wushe.") and app != "wushe.core" and find_spec(f"{app}.urls"):
        label = apps.get_app_config(app.rsplit(".", 1)[1]).label
        urlpatterns.append(path(f"{label}/", include(f"{app}.urls")))
urlpatterns.append(path("", include("wushe.core.urls")))

handler400 = "wushe.core.views.error_400"
handler403 = "wushe.core.views.error_403"
handler404 = "wushe.core.views.error_404"
handler500 = "wushe.core.views.error_500"
