"""Registry pages."""

from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("households/", views.household_list, name="households"),
    path("households/export.csv", views.household_export, name="household_export"),
    path("residents/", views.resident_list, name="residents"),
    path("residents/export.csv", views.resident_export, name="resident_export"),
    path("ledger/export/", views.ledger_export, name="ledger_export"),
    path("changes/", views.population_changes, name="changes"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_card, name="household"),
    path("households/<int:pk>/card.pdf", views.household_card_pdf, name="household_card_pdf"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/confirm/", views.household_confirm, name="household_confirm"),
    path("households/<int:pk>/head/", views.household_change_head, name="household_change_head"),
    path("households/<int:pk>/split/", views.household_split, name="household_split"),
    path("households/<int:pk>/merge/", views.household_merge, name="household_merge"),
    path("households/<int:pk>/members/new/", views.resident_add, name="resident_add"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/end/", views.resident_end, name="resident_end"),
    path("residents/<int:pk>/move/", views.resident_move, name="resident_move"),
    path("residents/<int:pk>/certificate/", views.certificate_issue, name="certificate_issue"),
    path("certificates/<int:pk>/print.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("residents/<int:pk>/reveal-id/", views.reveal_id, name="reveal_id"),
    path("phones/<int:pk>/reveal/", views.reveal_phone, name="reveal_phone"),
    path("phones/<int:pk>/calls/", views.call_record, name="call_record"),
    path("warnings/", views.warning_list, name="warnings"),
    path("flags/", views.flags, name="flags"),
    path("flags/<int:pk>/", views.flag_edit, name="flag_edit"),
]
