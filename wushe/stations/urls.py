from django.urls import path

from . import views

app_name = "stations"
urlpatterns = [
    path("", views.station_list, name="list"),
    path("new/", views.station_create, name="create"),
    path("<int:station_id>/", views.station_detail, name="detail"),
    path("<int:station_id>/edit/", views.station_edit, name="edit"),
]
