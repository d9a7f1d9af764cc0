from django.urls import path

from . import views

app_name = "requests"
urlpatterns = [
    path("", views.my_requests, name="mine"),
    path("new/", views.request_submit, name="submit"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/accept/", views.bulk_accept, name="bulk_accept"),
    path("supervision/", views.supervision, name="supervision"),
    path("tasks/", views.tasks, name="tasks"),
    path("<int:request_id>/", views.request_detail, name="detail"),
    path("<int:request_id>/accept/", views.request_accept, name="accept"),
    path("<int:request_id>/reject/", views.request_reject, name="reject"),
    path("<int:request_id>/merge/", views.request_merge, name="merge"),
    path("<int:request_id>/dispatch/", views.request_dispatch, name="dispatch"),
    path("<int:request_id>/claim/", views.request_claim, name="claim"),
    path("<int:request_id>/start/", views.request_start, name="start"),
    path("<int:request_id>/resolve/", views.request_resolve, name="resolve"),
    path("<int:request_id>/confirm/", views.request_confirm, name="confirm"),
    path("<int:request_id>/reopen/", views.request_reopen, name="reopen"),
    path("<int:request_id>/cancel/", views.request_cancel, name="cancel"),
    path("<int:request_id>/escalate/", views.request_escalate, name="escalate"),
    path("<int:request_id>/supervise/", views.request_supervise, name="supervise"),
    path("<int:request_id>/follow-up/", views.request_follow_up, name="follow_up"),
    path("<int:request_id>/photos/", views.photo_add, name="photo_add"),
    path("<int:request_id>/photos/<int:photo_id>/", views.photo, name="photo"),
]
