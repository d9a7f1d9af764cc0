from django.urls import path

from . import views

app_name = "partymembers"
urlpatterns = [
    path("", views.checkin_list, name="list"),
    path("new/", views.checkin_create, name="create"),
    path("<int:checkin_id>/", views.checkin_detail, name="detail"),
    path("<int:checkin_id>/edit/", views.checkin_edit, name="edit"),
    path("<int:checkin_id>/end/", views.checkin_end, name="end"),
]
