from django.urls import path

from . import map_views, views

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
    # the map and the charts (map_views.py)
    path("map/", map_views.map_page, name="map"),
    path("map/points/", map_views.map_points, name="map_points"),
    path("map/points/<int:pk>/card/", map_views.map_card, name="map_card"),
    path("points/<int:pk>/series/", map_views.point_series, name="point_series"),
]
