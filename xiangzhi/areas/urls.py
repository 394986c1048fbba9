"""Town set-up pages."""

from django.urls import path

from . import views

app_name = "areas"
urlpatterns = [
    path("", views.village_list, name="villages"),
    path("villages/<int:pk>/", views.village_edit, name="village"),
    path("groups/<int:pk>/", views.group_edit, name="group"),
]
