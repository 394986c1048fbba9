from django.urls import path

from . import views

app_name = "livedata"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.request_detail, name="request"),
    path("<int:pk>/photo/", views.photo, name="photo"),
    path("file/<int:pk>/", views.file_for, name="file"),
]
