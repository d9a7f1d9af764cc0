from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("calls/", views.call_list, name="calls"),
    path("calls/new/", views.call_new, name="call_new"),
    path("calls/<int:call_id>/", views.call_detail, name="call"),
    path("calls/<int:call_id>/apply/", views.proposal_new, name="apply"),
    path("calls/<int:call_id>/panel/", views.panel_add, name="panel_add"),
    path("calls/<int:call_id>/assistance/", views.assistance_set, name="assistance_set"),
    path("calls/<int:call_id>/results.xlsx", views.call_results_xlsx, name="results_xlsx"),
    path("calls/<int:call_id>/<slug:action>/", views.call_transition, name="call_transition"),
    path("from-needs/", views.proposal_from_needs, name="proposal_from_needs"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/review/", views.review, name="review"),
    path("<int:project_id>/approve/", views.approve, name="approve"),
    path("<int:project_id>/reject/", views.reject, name="reject"),
    path("<int:project_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:project_id>/evaluate/", views.evaluate, name="evaluate"),
    path("<int:project_id>/close/", views.close, name="close"),
    path("<int:project_id>/expenditures/", views.expenditure, name="expenditure"),
    path(
        "<int:project_id>/expenditures/<int:expenditure_id>/attachment/",
        views.attachment,
        name="attachment",
    ),
    path("<int:project_id>/activities/", views.activity, name="activity"),
    path("<int:project_id>/milestones/", views.milestone, name="milestone"),
    path(
        "<int:project_id>/milestones/<int:milestone_id>/done/",
        views.milestone_done,
        name="milestone_done",
    ),
    path("<int:project_id>/rate/", views.rate, name="rate"),
    path("<int:project_id>/ledger.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
]
