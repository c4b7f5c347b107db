"""Seed the catalogue: service categories and kinds, and the national public providers.

Names are stored in French, the registry's language, with an English name shown when the
interface speaks English (docs/decisions/0003-catalogue-language.md). The data is copied
into this migration on purpose: a migration must keep producing the same rows even when
the code of the app changes later. Registry admins edit the catalogue afterwards.
"""

from django.db import migrations

ADMIN = "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"
RIGHTS = "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"

# (slug, French name, English name, [kinds]); kind = (slug, fr, en, profile, thematiques)
CATALOGUE = [
    (
        "acces-aux-droits",
        "Accès aux droits et démarches",
        "Access to rights and procedures",
        [
            (
                "caf",
                "Prestations familiales et sociales (CAF)",
                "Family and social benefits (CAF)",
                "mediation",
                [RIGHTS, ADMIN],
            ),
            (
                "france-travail",
                "Emploi et indemnisation (France Travail)",
                "Employment and benefits (France Travail)",
                "mediation",
                [
                    ADMIN,
                    "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
                    "trouver-un-emploi--repondre-a-des-offres-demploi",
                ],
            ),
            (
                "assurance-maladie",
                "Assurance maladie",
                "Health insurance",
                "mediation",
                [RIGHTS, "sante--acces-aux-soins"],
            ),
            ("retraite", "Retraite", "Retirement", "mediation", [RIGHTS, ADMIN]),
            (
                "impots",
                "Impôts et finances publiques",
                "Taxes and public finances",
                "mediation",
                [ADMIN],
            ),
            (
                "ants",
                "Papiers d'identité, permis et carte grise (ANTS)",
                "ID papers, driving licence and vehicle registration (ANTS)",
                "mediation",
                [
                    ADMIN,
                    "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-a-la-citoyennete",
                ],
            ),
            (
                "justice",
                "Justice et aide juridique",
                "Justice and legal aid",
                "mediation",
                [
                    "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
                    "difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination",
                ],
            ),
            (
                "sante",
                "Santé et handicap",
                "Health and disability",
                "mediation",
                ["sante--acces-aux-soins", "sante--constituer-un-dossier-mdph-invalidite"],
            ),
        ],
    ),
    (
        "aide-numerique",
        "Aide numérique",
        "Digital help",
        [
            (
                "numerique-bases",
                "Apprendre les bases du numérique",
                "Learning digital basics",
                "mediation",
                ["numerique--maitriser-les-fondamentaux-du-numerique"],
            ),
            (
                "demarches-en-ligne",
                "Faire ses démarches en ligne",
                "Doing procedures online",
                "mediation",
                ["numerique--acceder-a-des-services-en-ligne", ADMIN],
            ),
            (
                "impression-numerisation",
                "Impression et numérisation",
                "Printing and scanning",
                "mediation",
                [],
            ),
            (
                "acces-equipement",
                "Accès à un ordinateur et à Internet",
                "Computer and Internet access",
                "mediation",
                ["numerique--acceder-a-une-connexion-internet"],
            ),
        ],
    ),
    (
        "banque-poste",
        "Banque et services postaux",
        "Banking and postal services",
        [
            ("services-postaux", "Services postaux", "Postal services", "mediation", []),
            ("services-bancaires", "Services bancaires", "Banking services", "mediation", []),
            ("retrait-especes", "Retrait d'espèces", "Cash withdrawal", "mediation", []),
            (
                "conseil-budget",
                "Conseil budgétaire",
                "Budget advice",
                "mediation",
                [
                    "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
                    "difficultes-financieres--situation-dendettement-surendettement",
                ],
            ),
        ],
    ),
    (
        "travail",
        "Travail",
        "Work",
        [
            ("poste-nomade", "Poste de travail nomade", "Hot desk", "work", []),
            ("bureau-dedie", "Bureau dédié", "Dedicated desk", "work", []),
            ("salle-reunion", "Salle de réunion", "Meeting room", "work", []),
            ("cabine-telephonique", "Cabine téléphonique", "Phone booth", "work", []),
            (
                "domiciliation",
                "Domiciliation d'entreprise",
                "Business domiciliation",
                "work",
                ["creer-une-entreprise--developper-son-entreprise"],
            ),
        ],
    ),
    (
        "creation",
        "Création et projets",
        "Creation and projects",
        [
            ("machines-fablab", "Machines du fab lab", "Fab lab machines", "creation", []),
            ("outillage", "Outils d'atelier", "Workshop tools", "creation", []),
            (
                "reparation",
                "Séances de réparation",
                "Repair sessions",
                "creation",
                ["equipement-et-alimentation--electromenager"],
            ),
            (
                "parcelles-jardin",
                "Parcelles de jardin",
                "Garden plots",
                "creation",
                ["remobilisation--lien-social"],
            ),
            (
                "formations",
                "Formations et ateliers",
                "Trainings and workshops",
                "creation",
                ["se-former--trouver-sa-formation"],
            ),
            (
                "evenements",
                "Événements",
                "Events",
                "creation",
                ["remobilisation--activites-sportives-et-culturelles"],
            ),
            (
                "accompagnement-projet",
                "Accompagnement de projets",
                "Project support",
                "creation",
                [
                    "creer-une-entreprise--definir-son-projet-de-creation-dentreprise",
                    "creer-une-entreprise--structurer-son-projet-de-creation-dentreprise",
                ],
            ),
        ],
    ),
    (
        "vie-sociale",
        "Vie sociale et solidarité",
        "Social life and solidarity",
        [
            (
                "garde-enfants",
                "Garde d'enfants",
                "Childcare",
                "mediation",
                ["famille--garde-denfants"],
            ),
            (
                "aide-alimentaire",
                "Aide alimentaire",
                "Food aid",
                "mediation",
                ["equipement-et-alimentation--alimentation"],
            ),
            (
                "espace-rencontre",
                "Espace de rencontre",
                "Meeting space",
                "mediation",
                ["remobilisation--lien-social"],
            ),
            (
                "apprentissage-francais",
                "Apprentissage du français",
                "Learning French",
                "mediation",
                ["lecture-ecriture-calcul--maitriser-le-francais"],
            ),
        ],
    ),
]

# National bodies whose counters or agents come to places; local ones are added by admins.
PROVIDERS = [
    ("caf", "Caisse d'allocations familiales (CAF)", "public", "https://www.caf.fr"),
    ("france-travail", "France Travail", "public", "https://www.francetravail.fr"),
    ("assurance-maladie", "Assurance maladie (CPAM)", "public", "https://www.ameli.fr"),
    (
        "assurance-retraite",
        "Assurance retraite (CNAV / Carsat)",
        "public",
        "https://www.lassuranceretraite.fr",
    ),
    ("msa", "Mutualité sociale agricole (MSA)", "public", "https://www.msa.fr"),
    ("dgfip", "Finances publiques (DGFiP)", "public", "https://www.impots.gouv.fr"),
    ("ants", "Agence nationale des titres sécurisés (ANTS)", "public", "https://ants.gouv.fr"),
    ("justice", "Ministère de la Justice (point-justice)", "public", "https://www.justice.fr"),
    ("la-poste", "La Poste", "private", "https://www.laposte.fr"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("services", "ServiceCategory")
    Kind = apps.get_model("services", "ServiceKind")
    Provider = apps.get_model("services", "Provider")
    for cat_pos, (slug, name, name_en, kinds) in enumerate(CATALOGUE, start=1):
        category, _ = Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": cat_pos * 10}
        )
        for pos, (kslug, kname, kname_en, profile, themes) in enumerate(kinds, start=1):
            Kind.objects.update_or_create(
                slug=kslug,
                defaults={
                    "name": kname,
                    "name_en": kname_en,
                    "category": category,
                    "profile": profile,
                    "data_inclusion_thematiques": themes,
                    "position": pos * 10,
                    "active": True,
                },
            )
    for slug, name, sector, website in PROVIDERS:
        Provider.objects.update_or_create(
            slug=slug, defaults={"name": name, "sector": sector, "website": website}
        )


def unseed(apps, schema_editor):
    Kind = apps.get_model("services", "ServiceKind")
    Category = apps.get_model("services", "ServiceCategory")
    Provider = apps.get_model("services", "Provider")
    Provider.objects.filter(slug__in=[p[0] for p in PROVIDERS], offers__isnull=True).delete()
    Kind.objects.filter(
        slug__in=[k[0] for c in CATALOGUE for k in c[3]], offers__isnull=True
    ).delete()
    Category.objects.filter(slug__in=[c[0] for c in CATALOGUE], kinds__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
