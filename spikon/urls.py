from django.urls import path

from spikon import views

app_name = "spikon"
urlpatterns = [
    path("", views.index, name="index"),
]
