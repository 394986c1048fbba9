"""Django admin for reference data only (areas and the configurable flags). Personal data is edited through the
registry pages and API, which go through the services, their scope checks and the audit log."""

from django.contrib import admin

from .models import FlagType, Town, Village, VillageGroup


@admin.register(FlagType)
class FlagTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "emergency", "has_level", "sort"]
    list_editable = ["emergency", "has_level", "sort"]


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "town"]
    list_filter = ["town", "kind"]


@admin.register(VillageGroup)
class VillageGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "village"]
    list_filter = ["village"]
