from django.urls import path

from sms import views

app_name = "sms"
urlpatterns = [
    path("", views.index, name="index"),
    path("account/", views.account, name="account"),
    path("account/test/", views.account_test, name="account-test"),
    path("subaccounts/new/", views.subaccount_create, name="subaccount-create"),
    path("subaccounts/new/<int:creation_id>/", views.creation, name="creation"),
    path("subaccounts/<int:subaccount_id>/", views.subaccount, name="subaccount"),
    path("subaccounts/<int:subaccount_id>/limits/", views.subaccount_limit, name="subaccount-limit"),
    path("subaccounts/<int:subaccount_id>/delete/", views.subaccount_delete, name="subaccount-delete"),
]
