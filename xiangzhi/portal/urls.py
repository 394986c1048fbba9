from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.sign_in, name="sign_in"),
    path("code/", views.code, name="code"),
    path("choose/", views.choose, name="choose"),
    path("home/", views.home, name="home"),
    path("confirm/", views.confirm, name="confirm"),
    path("phone/", views.own_phone, name="own_phone"),
    path("phone/code/", views.own_phone_code, name="own_phone_code"),
    path("p/<str:token>/", views.plate_sign_in, name="plate_sign_in"),
    path("door-plates/<int:pk>/", views.door_plate, name="door_plate"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("requests/", views.requests, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request, name="request"),
    path("requests/<int:pk>/photo/", views.request_photo, name="request_photo"),
]
