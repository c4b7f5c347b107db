"""Words for paperwork mean help with procedures, not learning digital basics.

The first vocabulary mapped "aide administrative", "démarches", "paperwork" and their
siblings to two kinds: doing procedures online *and* learning digital basics. A resident
asking for help with a form was then shown places whose only service is a computer class.
Only words still holding the seeded pair are changed: a word a registry admin has edited
since keeps its meaning. The reverse puts the pair back on the same words.
"""

import re
import unicodedata

from django.db import migrations

PAIR = ["demarches-en-ligne", "numerique-bases"]
PROCEDURES = ["demarches-en-ligne"]
PHRASES = [
    "démarches",
    "démarches administratives",
    "aide administrative",
    "administratif",
    "administrative",
    "formulaire",
    "paperwork",
    "online forms",
    "admin help",
]


def _key(value):
    # The same as services.vocabulary.phrase_key, copied so the migration never changes.
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.casefold().replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped).split())


def _swap(apps, old, new):
    NeedWord = apps.get_model("services", "NeedWord")
    for word in NeedWord.objects.filter(normalized__in=[_key(p) for p in PHRASES]):
        if sorted(word.kinds) == old:
            word.kinds = new
            word.save(update_fields=["kinds"])


def forward(apps, schema_editor):
    _swap(apps, PAIR, PROCEDURES)


def backward(apps, schema_editor):
    _swap(apps, PROCEDURES, PAIR)


class Migration(migrations.Migration):
    dependencies = [("services", "0005_seed_need_words")]
    operations = [migrations.RunPython(forward, backward)]
