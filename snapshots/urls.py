from django.urls import path

from snapshots import views

app_name = "snapshots"
urlpatterns = [
    path("", views.snapshot_list, name="list"),
    path("take/", views.snapshot_take, name="take"),
    path("compare/", views.snapshot_compare, name="compare"),
    path("<int:snapshot_id>/", views.snapshot_detail, name="detail"),
    path("<int:snapshot_id>/rollback/", views.rollback, name="rollback"),
    path("rollbacks/<int:rollback_id>/", views.rollback_detail, name="rollback-detail"),
]
