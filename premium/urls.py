from django.urls import path

from premium import views

app_name = "premium"
urlpatterns = [
    path("", views.index, name="index"),
]
