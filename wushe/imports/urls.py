from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:job_id>/", views.detail, name="detail"),
    path("<int:job_id>/progress/", views.progress, name="progress"),
    path("<int:job_id>/commit/", views.commit, name="commit"),
    path("<int:job_id>/cancel/", views.cancel, name="cancel"),
    path("<int:job_id>/errors.xlsx", views.error_report, name="errors"),
    path("templates/<slug:kind>/", views.template, name="template"),
    path("export/<slug:kind>/", views.export, name="export"),
]
