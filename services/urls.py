from django.urls import path

from services import views

app_name = "services"

urlpatterns = [
    path("places/<uuid:public_id>/", views.offer_list, name="offer_list"),
    path("places/<uuid:public_id>/new/", views.offer_create, name="offer_create"),
    path("places/<uuid:public_id>/<int:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("places/<uuid:public_id>/<int:pk>/suspend/", views.offer_suspend, name="offer_suspend"),
    path("places/<uuid:public_id>/<int:pk>/end/", views.offer_end, name="offer_end"),
    path(
        "places/<uuid:public_id>/<int:pk>/reactivate/",
        views.offer_reactivate,
        name="offer_reactivate",
    ),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/kinds/new/", views.service_kind_edit, name="service_kind_create"),
    path("catalogue/kinds/<int:pk>/", views.service_kind_edit, name="service_kind_edit"),
    path("catalogue/providers/new/", views.provider_edit, name="provider_create"),
    path("catalogue/providers/<int:pk>/", views.provider_edit, name="provider_edit"),
    path("catalogue/words/", views.need_word_list, name="need_word_list"),
    path("catalogue/words/new/", views.need_word_edit, name="need_word_create"),
    path("catalogue/words/<int:pk>/", views.need_word_edit, name="need_word_edit"),
    path("catalogue/words/<int:pk>/delete/", views.need_word_delete, name="need_word_delete"),
]
