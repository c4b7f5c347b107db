from django.db import migrations

CODES = [
    "france_services",
    "epn",
    "mediatheque",
    "mjc",
    "conciergerie",
    "point_relais",
    "coworking",
    "cantine",
    "telecentre",
    "centre_affaires",
    "fablab",
    "techshop",
    "repair_cafe",
    "atelier_quartier",
    "jardin_partage",
    "friche",
    "other",
]


def seed(apps, schema_editor):
    Typology = apps.get_model("places", "Typology")
    for position, code in enumerate(CODES):
        Typology.objects.update_or_create(code=code, defaults={"position": position})


def unseed(apps, schema_editor):
    apps.get_model("places", "Typology").objects.filter(code__in=CODES).delete()


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
