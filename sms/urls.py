from django.urls import path

from sms.views import account, account_state, subaccounts

app_name = "sms"
urlpatterns = [
    path("", subaccounts.index, name="index"),
    path("account/", account.account, name="account"),
    path("pool/", account_state.pool, name="pool"),
    path("payments/", account_state.payments, name="payments"),
    path("payments/<int:payment_id>/invoice/", account_state.invoice, name="invoice"),
    path("statistics/", account_state.delivery_stats, name="stats"),
    path("notices/", account_state.notices, name="notices"),
    path("account/test/", account.account_test, name="account-test"),
    path("subaccounts/new/", subaccounts.subaccount_create, name="subaccount-create"),
    path("subaccounts/new/<int:creation_id>/", subaccounts.creation, name="creation"),
    path("subaccounts/<int:subaccount_id>/", subaccounts.subaccount, name="subaccount"),
    path("subaccounts/<int:subaccount_id>/limits/", subaccounts.subaccount_limit, name="subaccount-limit"),
    path("subaccounts/<int:subaccount_id>/delete/", subaccounts.subaccount_delete, name="subaccount-delete"),
]
