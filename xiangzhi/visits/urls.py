from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("overdue/", views.overdue, name="overdue"),
    path("households/<int:pk>/new/", views.log, name="log"),
    path("policies/", views.policies, name="policies"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/small/", views.photo, {"size": "small"}, name="photo_small"),
]
