from django.urls import path

from spikon.views import overview

app_name = "spikon"
urlpatterns = [
    path("", overview.index, name="index"),
]
