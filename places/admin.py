from django.contrib import admin

from places.models import Membership, Network, Organisation, Place

admin.site.register(Organisation)
admin.site.register(Membership)
admin.site.register(Network)
admin.site.register(Place)
