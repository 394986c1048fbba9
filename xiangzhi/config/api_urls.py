"""/api/v1/: every app's API router in one place."""

from django.urls import include, path

urlpatterns = [
    path("", include("xiangzhi.core.api.urls")),
    path("", include("xiangzhi.accounts.api.urls")),
    path("areas/", include("xiangzhi.areas.api.urls")),
    path("registry/", include("xiangzhi.registry.api.urls")),
    path("monitoring/", include("xiangzhi.monitoring.api.urls")),
]
