from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("targets/", views.targets, name="targets"),
    path("report/", views.annual_report, name="report"),
    path("report.xlsx", views.annual_report_xlsx, name="report_xlsx"),
    path("<str:code>/", views.indicator_detail, name="detail"),
]
