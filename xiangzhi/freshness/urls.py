from django.urls import path

from . import views

app_name = "freshness"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/remind/", views.campaign_remind, name="campaign_remind"),
    path("prompts/", views.prompts, name="prompts"),
]
