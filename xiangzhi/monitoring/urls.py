from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("health/", views.health, name="health"),
    path("points/", views.point_list, name="points"),
    path("points/offline/", views.point_list, {"status": "offline"}, name="offline"),
    path("points/new/", views.point_create, name="point_create"),
    path("points/<int:pk>/", views.point_detail, name="point"),
    path("points/<int:pk>/edit/", views.point_edit, name="point_edit"),
    path("points/<int:pk>/device-key/", views.device_key, name="device_key"),
    path("points/<int:pk>/snapshot/", views.point_snapshot, name="point_snapshot"),
    path("snapshots/<int:pk>/", views.snapshot_image, name="snapshot"),
    path("reservoirs/", views.reservoir_list, name="reservoirs"),
    path("reservoirs/new/", views.reservoir_create, name="reservoir_create"),
    path("reservoirs/<int:pk>/edit/", views.reservoir_edit, name="reservoir_edit"),
    path("policies/", views.policies, name="policies"),
]
