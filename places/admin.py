from django.contrib import admin

from places.models import BouncedAddress, Membership, Network, Organisation, Place, Reminder

admin.site.register(Organisation)
admin.site.register(Membership)
admin.site.register(Network)
admin.site.register(Place)


@admin.register(BouncedAddress)
class BouncedAddressAdmin(admin.ModelAdmin):
    """Deleting a row lets email reach the address again (after it was fixed)."""

    list_display = ("email", "count", "last_bounced_at", "error")
    search_fields = ("email",)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("place", "email", "due_on", "status", "sent_at", "used_at")
    list_filter = ("status",)
    search_fields = ("email", "place__name")
    raw_id_fields = ("place", "recipient", "sent_by", "renewal_of")
