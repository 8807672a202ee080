from django.urls import path

from redirect_schedules import views

app_name = "redirect_schedules"
urlpatterns = [
    path("", views.schedule_list, name="list"),
    path("new/", views.schedule_new, name="new"),
    path("<int:schedule_id>/", views.schedule_detail, name="detail"),
    path("<int:schedule_id>/edit/", views.schedule_edit, name="edit"),
    path("<int:schedule_id>/delete/", views.schedule_delete, name="delete"),
    path("<int:schedule_id>/pause/", views.schedule_pause, name="pause"),
    path("<int:schedule_id>/resume/", views.schedule_resume, name="resume"),
    path("<int:schedule_id>/windows/", views.window_add, name="window-add"),
    path("<int:schedule_id>/windows/<int:window_id>/delete/", views.window_delete, name="window-delete"),
    path("<int:schedule_id>/closed-days/", views.closed_day_add, name="closed-day-add"),
    path(
        "<int:schedule_id>/closed-days/<int:closed_day_id>/delete/",
        views.closed_day_delete,
        name="closed-day-delete",
    ),
    path("after-manual-change/<int:number_id>/", views.pause_question, name="pause-question"),
]
