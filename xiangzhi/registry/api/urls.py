"""Registry API routes under /api/v1/registry/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("households", views.HouseholdViewSet)
router.register("residents", views.ResidentViewSet)

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="api-search"),
    path("dashboard/", views.DashboardView.as_view(), name="api-dashboard"),
    path("phones/<int:pk>/reveal/", views.PhoneRevealView.as_view(), name="api-phone-reveal"),
    path("phones/<int:pk>/calls/", views.PhoneCallView.as_view(), name="api-phone-calls"),
    *router.urls,
]
