"""The tenant's API tokens page, under /t/<tenant_slug>/api-tokens/."""

from django.urls import path

from api import views

app_name = "api"
urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
