from django.urls import path

from places import views

app_name = "manage"

urlpatterns = [
    path("", views.home, name="home"),
]
