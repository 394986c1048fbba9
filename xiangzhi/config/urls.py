"""Top-level URLs: pages per app, the versioned API, its schema and docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("xiangzhi.core.urls")),
    path("accounts/", include("xiangzhi.accounts.urls")),
    path("areas/", include("xiangzhi.areas.urls")),
    path("registry/", include("xiangzhi.registry.urls")),
    path("messages/", include("xiangzhi.messaging.urls")),
    path("notices/", include("xiangzhi.notices.urls")),
    path("visits/", include("xiangzhi.visits.urls")),
    path("freshness/", include("xiangzhi.freshness.urls")),
    path("changes/", include("xiangzhi.livedata.urls")),
    path("r/", include("xiangzhi.portal.urls")),
    path("imports/", include("xiangzhi.imports.urls")),
    path("monitoring/", include("xiangzhi.monitoring.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("xiangzhi.config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema", template_name="core/api_docs.html"),
        name="api-docs",
    ),
    path("django-admin/", admin.site.urls),
]

handler400 = "xiangzhi.core.views.error_400"
handler403 = "xiangzhi.core.views.error_403"
handler404 = "xiangzhi.core.views.error_404"
handler500 = "xiangzhi.core.views.error_500"
