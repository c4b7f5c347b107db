"""The territory's staff pages, mounted at /manage/territory/."""

from django.urls import path

from territory import views

app_name = "territory"

urlpatterns = [
    path("", views.coverage, name="coverage"),
    path("scenarios/", views.scenarios, name="scenarios"),
    path("scenarios/compare/", views.compare, name="compare"),
    path("scenarios/<int:pk>/draft/", views.scenario_draft, name="scenario_draft"),
]
