from django.urls import path

from . import views

app_name = "volunteers"
urlpatterns = [
    path("", views.volunteer_list, name="list"),
    path("new/", views.volunteer_create, name="create"),
    path("me/", views.my_volunteer, name="me"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path(
        "teams/<int:pk>/members/<int:volunteer_pk>/remove/",
        views.team_remove_member,
        name="team_remove_member",
    ),
    path("<int:pk>/", views.volunteer_detail, name="detail"),
    path("<int:pk>/edit/", views.volunteer_edit, name="edit"),
    path("<int:pk>/<str:action>/", views.volunteer_transition, name="transition"),
]
