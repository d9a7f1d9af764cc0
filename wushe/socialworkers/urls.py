from django.urls import path

from . import views

app_name = "socialworkers"
urlpatterns = [
    path("", views.worker_list, name="list"),
    path("new/", views.worker_create, name="create"),
    path("<int:worker_id>/", views.worker_detail, name="detail"),
    path("<int:worker_id>/edit/", views.worker_edit, name="edit"),
    path("<int:worker_id>/renewals/", views.renewal_add, name="renewal_add"),
    path("<int:worker_id>/education/", views.education_add, name="education_add"),
]
