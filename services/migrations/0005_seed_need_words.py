"""Seed the need vocabulary: everyday words residents type, in French and English.

Each row: (phrase, language, service kind slugs, typology codes). The data is copied here on
purpose (a migration keeps producing the same rows whatever the code becomes); registry
admins edit the vocabulary afterwards on the catalogue pages.
"""

import re
import unicodedata

from django.db import migrations

FR, EN = "fr", "en"
CAF = ["caf"]
JOB = ["france-travail"]
HEALTH = ["assurance-maladie"]
TAX = ["impots"]
ANTS = ["ants"]
ONLINE = ["demarches-en-ligne", "numerique-bases"]
PRINT = ["impression-numerisation"]
EQUIPMENT = ["acces-equipement"]
DESK = ["poste-nomade", "bureau-dedie"]
ROOM = ["salle-reunion"]
MACHINES = ["machines-fablab"]
REPAIR = ["reparation"]
GARDEN = ["parcelles-jardin"]
POST = ["services-postaux"]

WORDS = [
    # Benefits (CAF)
    ("CAF", FR, CAF, []),
    ("allocations", FR, CAF, []),
    ("allocations familiales", FR, CAF, []),
    ("allocs", FR, CAF, []),
    ("prestations familiales", FR, CAF, []),
    ("APL", FR, CAF, []),
    ("aide au logement", FR, CAF, []),
    ("RSA", FR, CAF, []),
    ("prime d'activité", FR, CAF, []),
    ("AAH", FR, CAF, []),
    ("benefits", EN, CAF, []),
    ("family benefits", EN, CAF, []),
    ("housing benefit", EN, CAF, []),
    ("child benefit", EN, CAF, []),
    # Employment
    ("France Travail", FR, JOB, []),
    ("Pôle emploi", FR, JOB, []),
    ("chômage", FR, JOB, []),
    ("emploi", FR, JOB, []),
    ("recherche d'emploi", FR, JOB, []),
    ("CV", FR, JOB, []),
    ("job", EN, JOB, []),
    ("unemployment", EN, JOB, []),
    ("job centre", EN, JOB, []),
    ("employment", EN, JOB, []),
    # Health insurance and health
    ("Ameli", FR, HEALTH, []),
    ("CPAM", FR, HEALTH, []),
    ("sécurité sociale", FR, HEALTH, []),
    ("sécu", FR, HEALTH, []),
    ("carte vitale", FR, HEALTH, []),
    ("assurance maladie", FR, HEALTH, []),
    ("mutuelle", FR, HEALTH, []),
    ("complémentaire santé", FR, HEALTH, []),
    ("santé", FR, ["assurance-maladie", "sante"], []),
    ("handicap", FR, ["sante"], []),
    ("MDPH", FR, ["sante"], []),
    ("health insurance", EN, HEALTH, []),
    ("social security", EN, HEALTH, []),
    ("health", EN, ["assurance-maladie", "sante"], []),
    ("disability", EN, ["sante"], []),
    # Retirement
    ("retraite", FR, ["retraite"], []),
    ("CARSAT", FR, ["retraite"], []),
    ("pension", EN, ["retraite"], []),
    ("retirement", EN, ["retraite"], []),
    # Taxes
    ("impôts", FR, TAX, []),
    ("impôt", FR, TAX, []),
    ("déclaration de revenus", FR, TAX, []),
    ("taxe", FR, TAX, []),
    ("finances publiques", FR, TAX, []),
    ("tax", EN, TAX, []),
    ("tax return", EN, TAX, []),
    # ID papers, licence, vehicle registration
    ("ANTS", FR, ANTS, []),
    ("carte grise", FR, ANTS, []),
    ("immatriculation", FR, ANTS, []),
    ("permis", FR, ANTS, []),
    ("permis de conduire", FR, ANTS, []),
    ("passeport", FR, ANTS, []),
    ("carte d'identité", FR, ANTS, []),
    ("CNI", FR, ANTS, []),
    ("papiers", FR, ANTS, []),
    ("papiers d'identité", FR, ANTS, []),
    ("passport", EN, ANTS, []),
    ("ID card", EN, ANTS, []),
    ("identity card", EN, ANTS, []),
    ("driving licence", EN, ANTS, []),
    ("driving license", EN, ANTS, []),
    ("driver license", EN, ANTS, []),
    ("car registration", EN, ANTS, []),
    # Legal advice
    ("justice", FR, ["justice"], []),
    ("avocat", FR, ["justice"], []),
    ("juriste", FR, ["justice"], []),
    ("conseil juridique", FR, ["justice"], []),
    ("legal advice", EN, ["justice"], []),
    ("lawyer", EN, ["justice"], []),
    # Procedures online
    ("démarches", FR, ONLINE, []),
    ("démarches administratives", FR, ONLINE, []),
    ("aide administrative", FR, ONLINE, []),
    ("administratif", FR, ONLINE, []),
    ("administrative", FR, ONLINE, []),
    ("formulaire", FR, ONLINE, []),
    ("en ligne", FR, ONLINE, []),
    ("paperwork", EN, ONLINE, []),
    ("online forms", EN, ONLINE, []),
    ("admin help", EN, ONLINE, []),
    # Digital basics
    ("numérique", FR, ["numerique-bases"], []),
    ("informatique", FR, ["numerique-bases"], []),
    ("smartphone", FR, ["numerique-bases"], []),
    ("e-mail", FR, ["numerique-bases"], []),
    ("digital skills", EN, ["numerique-bases"], []),
    # Printing and scanning
    ("imprimer", FR, PRINT, []),
    ("impression", FR, PRINT, []),
    ("imprimante", FR, PRINT, []),
    ("scanner", FR, PRINT, []),
    ("numériser", FR, PRINT, []),
    ("photocopie", FR, PRINT, []),
    ("photocopier", FR, PRINT, []),
    ("photocopieuse", FR, PRINT, []),
    ("fax", FR, PRINT, []),
    ("print", EN, PRINT, []),
    ("printing", EN, PRINT, []),
    ("printer", EN, PRINT, []),
    ("scan", EN, PRINT, []),
    ("photocopy", EN, PRINT, []),
    ("copy", EN, PRINT, []),
    # Computers and the Internet
    ("wifi", FR, EQUIPMENT, []),
    ("wi-fi", FR, EQUIPMENT, []),
    ("internet", FR, EQUIPMENT, []),
    ("ordinateur", FR, EQUIPMENT, []),
    ("ordi", FR, EQUIPMENT, []),
    ("PC", FR, EQUIPMENT, []),
    ("poste informatique", FR, EQUIPMENT, []),
    ("connexion", FR, EQUIPMENT, []),
    ("computer", EN, EQUIPMENT, []),
    ("internet access", EN, EQUIPMENT, []),
    # Post office, bank, budget
    ("la poste", FR, POST, []),
    ("bureau de poste", FR, POST, []),
    ("courrier", FR, POST, []),
    ("colis", FR, POST, []),
    ("recommandé", FR, POST, []),
    ("post office", EN, POST, []),
    ("parcel", EN, POST, []),
    ("banque", FR, ["services-bancaires"], []),
    ("retrait d'espèces", FR, ["retrait-especes"], []),
    ("distributeur", FR, ["retrait-especes"], []),
    ("espèces", FR, ["retrait-especes"], []),
    ("bank", EN, ["services-bancaires"], []),
    ("cash", EN, ["retrait-especes"], []),
    ("budget", FR, ["conseil-budget"], []),
    ("surendettement", FR, ["conseil-budget"], []),
    ("dettes", FR, ["conseil-budget"], []),
    ("debt", EN, ["conseil-budget"], []),
    # Work
    ("bureau", FR, DESK, []),
    ("poste de travail", FR, ["poste-nomade"], []),
    ("télétravail", FR, ["poste-nomade"], []),
    ("espace de travail", FR, DESK, []),
    ("bureau dédié", FR, ["bureau-dedie"], []),
    ("desk", EN, DESK, []),
    ("hot desk", EN, ["poste-nomade"], []),
    ("office", EN, DESK, []),
    ("remote work", EN, ["poste-nomade"], []),
    ("coworking", FR, [], ["coworking"]),
    ("co-working", FR, [], ["coworking"]),
    ("salle de réunion", FR, ROOM, []),
    ("salle", FR, ROOM, []),
    ("réunion", FR, ROOM, []),
    ("meeting room", EN, ROOM, []),
    ("meeting", EN, ROOM, []),
    ("cabine téléphonique", FR, ["cabine-telephonique"], []),
    ("visio", FR, ["cabine-telephonique"], []),
    ("phone booth", EN, ["cabine-telephonique"], []),
    ("domiciliation", FR, ["domiciliation"], []),
    ("business address", EN, ["domiciliation"], []),
    ("créer mon entreprise", FR, ["accompagnement-projet"], []),
    ("création d'entreprise", FR, ["accompagnement-projet"], []),
    ("entreprendre", FR, ["accompagnement-projet"], []),
    ("start a business", EN, ["accompagnement-projet"], []),
    # Making and repairing
    ("imprimante 3D", FR, MACHINES, []),
    ("impression 3D", FR, MACHINES, []),
    ("3D", FR, MACHINES, []),
    ("découpe laser", FR, MACHINES, []),
    ("laser", FR, MACHINES, []),
    ("machines", FR, MACHINES, []),
    ("3D printer", EN, MACHINES, []),
    ("3D printing", EN, MACHINES, []),
    ("laser cutter", EN, MACHINES, []),
    ("fablab", FR, [], ["fablab", "techshop"]),
    ("fab lab", FR, [], ["fablab", "techshop"]),
    ("makerspace", EN, [], ["fablab", "techshop"]),
    ("outils", FR, ["outillage"], []),
    ("outillage", FR, ["outillage"], []),
    ("perceuse", FR, ["outillage"], []),
    ("tools", EN, ["outillage"], []),
    ("réparer", FR, REPAIR, []),
    ("réparation", FR, REPAIR, []),
    ("repair café", FR, [], ["repair_cafe"]),
    ("vélo", FR, REPAIR, []),
    ("bricolage", FR, ["outillage", "reparation"], []),
    ("repair", EN, REPAIR, []),
    ("fix", EN, REPAIR, []),
    ("bike", EN, REPAIR, []),
    ("bicycle", EN, REPAIR, []),
    ("jardin", FR, GARDEN, []),
    ("jardiner", FR, GARDEN, []),
    ("jardinage", FR, GARDEN, []),
    ("potager", FR, GARDEN, []),
    ("jardin partagé", FR, GARDEN, []),
    ("garden", EN, GARDEN, []),
    ("gardening", EN, GARDEN, []),
    ("allotment", EN, GARDEN, []),
    # Learning, meeting people, family
    ("formation", FR, ["formations"], []),
    ("cours", FR, ["formations"], []),
    ("training", EN, ["formations"], []),
    ("apprendre le français", FR, ["apprentissage-francais"], []),
    ("cours de français", FR, ["apprentissage-francais"], []),
    ("FLE", FR, ["apprentissage-francais"], []),
    ("alphabétisation", FR, ["apprentissage-francais"], []),
    ("learn French", EN, ["apprentissage-francais"], []),
    ("French lessons", EN, ["apprentissage-francais"], []),
    ("garde d'enfants", FR, ["garde-enfants"], []),
    ("crèche", FR, ["garde-enfants"], []),
    ("childcare", EN, ["garde-enfants"], []),
    ("aide alimentaire", FR, ["aide-alimentaire"], []),
    ("épicerie solidaire", FR, ["aide-alimentaire"], []),
    ("colis alimentaire", FR, ["aide-alimentaire"], []),
    ("food bank", EN, ["aide-alimentaire"], []),
    ("food aid", EN, ["aide-alimentaire"], []),
    ("rencontre", FR, ["espace-rencontre"], []),
    ("rencontrer", FR, ["espace-rencontre"], []),
    ("meet people", EN, ["espace-rencontre"], []),
    ("événements", FR, ["evenements"], []),
    ("agenda", FR, ["evenements"], []),
    ("events", EN, ["evenements"], []),
    # Kinds of places
    ("France Services", FR, [], ["france_services"]),
    ("maison France Services", FR, [], ["france_services"]),
    ("médiathèque", FR, [], ["mediatheque"]),
    ("bibliothèque", FR, [], ["mediatheque"]),
    ("library", EN, [], ["mediatheque"]),
    ("MJC", FR, [], ["mjc"]),
    ("maison des jeunes", FR, [], ["mjc"]),
    ("centre social", FR, [], ["mjc"]),
    ("community centre", EN, [], ["mjc"]),
    ("EPN", FR, [], ["epn"]),
    ("espace public numérique", FR, [], ["epn"]),
    ("conciergerie", FR, [], ["conciergerie"]),
    ("point relais", FR, [], ["point_relais"]),
    ("télécentre", FR, [], ["telecentre"]),
    ("centre d'affaires", FR, [], ["centre_affaires"]),
    ("business centre", EN, [], ["centre_affaires"]),
    ("techshop", FR, [], ["techshop"]),
    ("friche", FR, [], ["friche"]),
    ("tiers-lieu", FR, [], ["coworking", "cantine", "telecentre", "fablab", "friche"]),
    ("tiers-lieux", FR, [], ["coworking", "cantine", "telecentre", "fablab", "friche"]),
]


def _key(value):
    # The same as services.vocabulary.phrase_key, copied so the migration never changes.
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.casefold().replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped).split())


def seed(apps, schema_editor):
    NeedWord = apps.get_model("services", "NeedWord")
    for phrase, language, kinds, typologies in WORDS:
        NeedWord.objects.update_or_create(
            normalized=_key(phrase),
            defaults={
                "phrase": phrase,
                "language": language,
                "kinds": sorted(kinds),
                "typologies": sorted(typologies),
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("services", "NeedWord").objects.filter(
        normalized__in=[_key(row[0]) for row in WORDS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0004_need_words"), ("places", "0002_seed_typologies")]
    operations = [migrations.RunPython(seed, unseed)]
