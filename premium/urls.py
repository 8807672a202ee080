from django.urls import path

from premium.views import account, billing, money, numbers

app_name = "premium"
urlpatterns = [
    path("", numbers.numbers, name="index"),
    path("numbers/", numbers.numbers, name="numbers"),
    path("numbers/redirect/", numbers.numbers_bulk_redirect, name="numbers-bulk-redirect"),
    path("numbers/buy/", numbers.number_buy, name="number-buy"),
    path("numbers/<int:number_id>/", numbers.number_row, name="number-row"),
    path("numbers/<int:number_id>/details/", numbers.number, name="number"),
    path("numbers/<int:number_id>/redirect/", numbers.number_redirect, name="number-redirect"),
    path("numbers/<int:number_id>/delete/", numbers.number_delete, name="number-delete"),
    path("billing/", billing.billing, name="billing"),
    path("billing/calls.csv", billing.billing_export, name="billing-export"),
    path("billing/numbers/", billing.billing_numbers, name="billing-numbers"),
    path("billing/statements/", billing.statements, name="statements"),
    path("billing/statements/new/", billing.statement_request, name="statement-request"),
    path(
        "billing/statements/<int:statement_id>/download/",
        billing.statement_download,
        name="statement-download",
    ),
    path("wallet/", money.wallet, name="wallet"),
    path("invoices/", money.invoices, name="invoices"),
    path("invoices/<int:invoice_id>/download/", money.invoice_download, name="invoice-download"),
    path("account/", account.account, name="account"),
    path("account/save/", account.account_save, name="account-save"),
    path("account/test/", account.account_test, name="account-test"),
    path("account/shares/", account.account_shares, name="account-shares"),
]
