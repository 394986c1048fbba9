from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("new/<str:kind>/", views.job_new, name="new"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/commit/", views.job_commit, name="commit"),
    path("<int:pk>/report.xlsx", views.job_report, name="report"),
]
