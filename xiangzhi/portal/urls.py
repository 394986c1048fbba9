from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.sign_in, name="sign_in"),
    path("code/", views.code, name="code"),
    path("choose/", views.choose, name="choose"),
    path("home/", views.home, name="home"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/", views.notice, name="notice"),
]
