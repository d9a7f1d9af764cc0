from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.due, name="due"),
    path("overview/", views.overview, name="overview"),
    path("plan/", views.plan, name="plan"),
    path("plan/overrides/<int:override_id>/end/", views.override_end, name="override_end"),
    path("enrol/", views.enrol, name="enrol"),
    path("enrolments/<int:enrolment_id>/", views.enrolment_detail, name="enrolment"),
    path("enrolments/<int:enrolment_id>/visit/", views.visit_new, name="record"),
    path("enrolments/<int:enrolment_id>/assign/", views.assign, name="assign"),
    path("enrolments/<int:enrolment_id>/end/", views.end, name="end"),
    path("visits/<int:visit_id>/request/", views.raise_request, name="raise_request"),
]
