from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [path("certificates/", views.certificate_check, name="certificate_check")]
