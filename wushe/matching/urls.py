from django.urls import path

from . import views

app_name = "matching"
urlpatterns = [
    path("", views.proposals, name="proposals"),
    path("proposals/<int:proposal_id>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:proposal_id>/confirm/", views.proposal_confirm, name="confirm"),
    path("proposals/<int:proposal_id>/discard/", views.proposal_discard, name="discard"),
    path("lines/<int:line_id>/decide/", views.line_decide, name="decide"),
    path("settings/<str:region_code>/", views.settings_edit, name="settings"),
]
