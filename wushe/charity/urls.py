from django.urls import path

from . import views

app_name = "charity"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("funds/new/", views.fund_create, name="fund_create"),
    path("funds/<int:pk>/", views.fund_detail, name="fund_detail"),
    path("funds/<int:pk>/edit/", views.fund_edit, name="fund_edit"),
    path("funds/<int:pk>/close/", views.fund_close, name="fund_close"),
    path("funds/<int:pk>/donations/", views.donation_create, name="donation_create"),
    path("donations/<int:pk>/reverse/", views.donation_reverse, name="donation_reverse"),
    path("donors/", views.donor_list, name="donor_list"),
    path("donors/new/", views.donor_create, name="donor_create"),
    path("donors/<int:pk>/", views.donor_detail, name="donor_detail"),
    path("donors/<int:pk>/edit/", views.donor_edit, name="donor_edit"),
    path("stores/new/", views.store_create, name="store_create"),
    path("stores/<int:pk>/", views.store_detail, name="store_detail"),
    path("stores/<int:pk>/edit/", views.store_edit, name="store_edit"),
    path("stores/<int:pk>/items/", views.item_create, name="item_create"),
    path("stores/<int:pk>/donations/", views.store_goods_donation, name="store_goods_donation"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/restock/", views.item_restock, name="item_restock"),
    path("goods/", views.goods, name="goods"),
]
