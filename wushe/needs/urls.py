from django.urls import path

from . import views

app_name = "needs"
urlpatterns = [
    path("", views.groups, name="groups"),
    path("select/", views.select, name="select"),
    path("list/", views.need_list, name="list"),
    path("new/", views.create, name="create"),
    path("from-request/", views.from_request, name="from_request"),
    path("<int:need_id>/", views.detail, name="detail"),
    path("<int:need_id>/<str:action>/", views.transition, name="transition"),
]
