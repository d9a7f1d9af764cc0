from django.urls import path

from . import views

app_name = "disclosure"
urlpatterns = [
    path("", views.index, name="index"),
    path("projects/", views.projects, name="projects"),
    path("projects/<int:project_id>/", views.project, name="project"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<int:organization_id>/", views.organization, name="organization"),
    path("funds/", views.funds, name="funds"),
    path("funds/donations/", views.donations, name="donations"),
    path("funds/expenditures/", views.expenditures, name="expenditures"),
]
