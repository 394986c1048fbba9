"""Monitoring API routes under /api/v1/monitoring/."""

from django.urls import path

from . import views

urlpatterns = [
    path("ingest/", views.IngestView.as_view(), name="api-monitoring-ingest"),
]
