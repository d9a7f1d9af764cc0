from django.urls import path

from . import views

app_name = "menu"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("mine/", views.mine, name="mine"),
    path("order/<int:offering_id>/", views.order, name="order"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<int:order_id>/<str:action>/", views.order_action, name="order_action"),
    path("offerings/", views.offerings, name="offerings"),
    path("offerings/new/", views.offering_create, name="offering_create"),
    path("offerings/<int:offering_id>/", views.offering_edit, name="offering_edit"),
    path("offerings/<int:offering_id>/toggle/", views.offering_toggle, name="offering_toggle"),
]
