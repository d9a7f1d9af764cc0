from django.urls import path

from . import views

app_name = "residents"
urlpatterns = [
    path("", views.resident_list, name="list"),
    path("me/", views.my_record, name="me"),
    path("new/", views.resident_create, name="create"),
    path("<int:pk>/", views.resident_detail, name="detail"),
    path("<int:pk>/edit/", views.resident_edit, name="edit"),
    path("<int:pk>/tags/", views.tag_add, name="tag_add"),
    path("<int:pk>/tags/<int:tag_id>/end/", views.tag_end, name="tag_end"),
    path("<int:pk>/move-out/", views.move_out, name="move_out"),
    path("<int:pk>/consents/", views.consent_add, name="consent_add"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
]
