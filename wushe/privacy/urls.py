from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path(
        "reveal/<str:subject_type>/<int:subject_id>/<str:field>/",
        views.reveal,
        name="reveal",
    ),
]
