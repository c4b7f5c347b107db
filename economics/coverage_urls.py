"""The coverage study, mounted at /manage/coverage/ (its view belongs to economics)."""

from django.urls import path

from economics import views

app_name = "coverage"

urlpatterns = [path("", views.coverage, name="study")]
