from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="create"),
    path("mine/", views.mine, name="mine"),
    path("queue/", views.queue, name="queue"),
    path("export/", views.export_records, name="export"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/qr/", views.activity_qr, name="qr"),
    path("<int:pk>/signup/", views.signup, name="signup"),
    path("<int:pk>/sheet/<int:volunteer_pk>/", views.sheet_action, name="sheet_action"),
    path("scan/<str:token>/", views.scan, name="scan"),
    path("records/<int:pk>/<str:action>/", views.record_action, name="record_action"),
    path("certificates/", views.certificate_check, name="certificate_check"),
    path("certificates/issue/", views.certificate_issue, name="certificate_issue"),
    path("certificates/<str:number>/print/", views.certificate_print, name="certificate_print"),
]
