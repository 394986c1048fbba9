"""Core API: the audit log for auditors."""

from rest_framework.routers import SimpleRouter

from .views import AuditEntryViewSet

router = SimpleRouter()
router.register("audit", AuditEntryViewSet)
urlpatterns = router.urls
