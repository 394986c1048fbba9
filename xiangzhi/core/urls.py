"""Core pages: home and the audit log."""

from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit"),
    path("tasks/", views.failed_tasks, name="tasks"),
    path("tasks/<uuid:pk>/retry/", views.task_retry, name="task_retry"),
]
