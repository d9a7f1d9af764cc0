from django.urls import path

from . import views

app_name = "timebank"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("store/", views.store, name="store"),
    path("pools/", views.pools, name="pools"),
    path("schemes/", views.schemes, name="schemes"),
    path("schemes/<int:pk>/", views.scheme_edit, name="scheme"),
]
