from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alerts, name="index"),
    path("rules/", views.rules, name="rules"),
    path("rules/add/", views.rule_add, name="rule-add"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule-edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
    path("channels/", views.channels, name="channels"),
    path("channels/recipients/", views.recipients, name="recipients"),
    path("channels/endpoints/add/", views.endpoint_add, name="endpoint-add"),
    path("channels/endpoints/<int:endpoint_id>/", views.endpoint_edit, name="endpoint-edit"),
    path("channels/endpoints/<int:endpoint_id>/delete/", views.endpoint_delete, name="endpoint-delete"),
    path("channels/endpoints/<int:endpoint_id>/test/", views.endpoint_test, name="endpoint-test"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:delivery_id>/resend/", views.delivery_resend, name="delivery-resend"),
    path("mine/", views.mine, name="mine"),
]
