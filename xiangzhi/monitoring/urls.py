from django.urls import path

from . import map_views

app_name = "monitoring"
urlpatterns = [
    path("map/", map_views.map_page, name="map"),
    path("map/points/", map_views.map_points, name="map_points"),
    path("map/points/<int:pk>/card/", map_views.map_card, name="map_card"),
    path("points/<int:pk>/series/", map_views.point_series, name="point_series"),
]
