"""Areas API routes under /api/v1/areas/."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("villages", views.VillageViewSet)
router.register("groups", views.VillageGroupViewSet)

urlpatterns = router.urls
