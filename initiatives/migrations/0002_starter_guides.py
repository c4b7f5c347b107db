"""Three starter guides, in French and English; staff edit or unpublish them afterwards."""

from django.db import migrations

REPAIR_CAFE_FR = """Un repair café est une rencontre où des bénévoles aident les habitants à réparer eux-mêmes leurs objets : petit électroménager, vêtements, vélos, jouets, ordinateurs. Le concept est né à Amsterdam en 2009 ; il en existe aujourd'hui des centaines en France.

## Avant d'ouvrir

- **Trouvez trois ou quatre bénévoles bricoleurs** (électricité, couture, vélo, informatique) et une personne pour l'accueil.
- **Trouvez une salle** : une salle municipale, une médiathèque ou une maison de quartier un samedi matin suffit. Il faut des tables, des prises électriques et de la lumière.
- **Choisissez une structure porteuse** : une association existante peut accueillir le projet. Vérifiez que son assurance responsabilité civile couvre l'activité.
- **Rédigez un règlement court**, affiché à l'entrée : les visiteurs réparent avec l'aide des bénévoles, qui ne sont pas responsables du résultat ; les appareils dangereux à ouvrir (four à micro-ondes, téléviseur à tube) ne sont pas acceptés.

## Le jour de la rencontre

1. À l'accueil, notez l'objet et la panne sur une fiche : elle sert au suivi et au bilan.
2. Orientez vers le bon bénévole ; proposez un café pendant l'attente.
3. Après une réparation électrique, testez l'appareil avant qu'il reparte.
4. Notez le résultat : réparé, à reprendre avec une pièce, non réparable.

## Faire durer

- Un rythme régulier (par exemple le premier samedi du mois) fidélise le public.
- Comptez les objets réparés et leur poids : c'est l'argument auprès de la ville et des financeurs.
- Inscrivez le lieu et ses horaires dans l'annuaire des lieux partagés pour qu'on vous trouve.
"""

REPAIR_CAFE_EN = """A repair café is a meeting where volunteers help residents repair their own things: small appliances, clothes, bikes, toys, computers. The idea started in Amsterdam in 2009; hundreds now exist in France.

## Before you open

- **Find three or four handy volunteers** (electrics, sewing, bikes, computers) and one person to welcome visitors.
- **Find a room**: a municipal hall, a media library or a community centre on a Saturday morning is enough. You need tables, power sockets and good light.
- **Choose a host organisation**: an existing association can carry the project. Check that its civil liability insurance covers the activity.
- **Write short house rules**, posted at the door: visitors repair with the volunteers' help, and the volunteers are not liable for the result; appliances that are dangerous to open (microwave ovens, tube televisions) are not accepted.

## On the day

1. At the welcome desk, write down the object and its fault on a card: it helps follow-up and the yearly report.
2. Send each visitor to the right volunteer; offer a coffee while they wait.
3. After an electrical repair, test the appliance before it leaves.
4. Record the outcome: repaired, needs a spare part, cannot be repaired.

## Keep it going

- A regular rhythm (for instance the first Saturday of the month) builds a public.
- Count the objects repaired and their weight: that is your case to the city and to funders.
- Add the place and its hours to the directory of shared places so that people find you.
"""

ROOM_FR = """Une salle de médiathèque inoccupée certains créneaux peut accueillir une association, une permanence d'aide administrative, des télétravailleurs ou un atelier. Partager cette salle fait venir de nouveaux publics sans coût de construction.

## Repérer les créneaux libres

- Relevez pendant un mois l'occupation réelle de la salle, heure par heure.
- Listez ce qui rend le partage possible ou non : accès indépendant, toilettes, wifi, mobilier, bruit pour les autres espaces.

## Fixer les règles

- **Une convention de mise à disposition** signée avec chaque occupant régulier : créneaux, tarif ou gratuité, assurance de l'occupant, remise des clés, état des lieux.
- **Un interlocuteur unique** côté médiathèque pour les réservations.
- **Un calendrier public** des créneaux occupés et libres.

## Faire connaître la salle

- Décrivez la salle (capacité, équipements, accessibilité) et ses créneaux de partage dans le registre : elle apparaît sur la page « Espaces à partager » de l'annuaire.
- Prévenez les associations du quartier et les services de la ville.

## Faire le bilan

Comptez les heures occupées et le nombre de personnes accueillies : le taux d'occupation est l'indicateur que suivent la ville et les financeurs.
"""

ROOM_EN = """A media library room that stands empty at some hours can host an association, an advice desk, remote workers or a workshop. Sharing it brings new people in at no building cost.

## Find the free hours

- For one month, write down how the room is really used, hour by hour.
- List what makes sharing possible or not: separate access, toilets, wifi, furniture, noise for the other areas.

## Set the rules

- **An agreement with each regular occupant**: hours, price or free use, the occupant's insurance, key handover, condition of the room.
- **One contact person** at the library for bookings.
- **A public calendar** of the booked and free hours.

## Make the room known

- Describe the room (capacity, equipment, accessibility) and its sharing hours in the registry: it then appears on the directory's "Spaces to share" page.
- Tell the neighbourhood's associations and the city's departments.

## Take stock

Count the hours used and the people welcomed: the occupancy rate is the figure the city and funders follow.
"""

HELP_DESK_FR = """Un guichet d'aide aux démarches, sur le modèle des espaces France Services, permet aux habitants d'être accompagnés par une personne pour leurs démarches administratives : impôts, retraite, allocations, santé, emploi, papiers d'identité.

## Le label France Services

Le label est attribué par l'État selon un cahier des charges de l'Agence nationale de la cohésion des territoires (ANCT) : au moins deux agents formés, une ouverture d'au moins 24 heures par semaine sur cinq jours, et l'accès aux services de partenaires nationaux (France Travail, CAF, Assurance maladie, Assurance retraite, MSA, finances publiques, ministères de l'Intérieur et de la Justice, La Poste). Renseignez-vous auprès de la préfecture sur la version en vigueur. Un guichet peut aussi commencer sans le label.

## Démarrer

- **Un lieu de passage** : mairie, médiathèque, bureau de poste, centre social. Un bureau fermé pour la confidentialité, un poste informatique en libre accès, une imprimante et un scanner.
- **Des agents formés** aux démarches en ligne et à l'accueil de personnes peu à l'aise avec le numérique.
- **Des partenaires** : signez avec chaque organisme une convention qui donne aux agents un contact direct pour les dossiers bloqués.

## Accueillir

1. Écouter la demande et vérifier les pièces nécessaires.
2. Faire avec la personne plutôt qu'à sa place, pour qu'elle gagne en autonomie.
3. Orienter vers le bon organisme quand la demande dépasse le guichet.

## Se faire connaître

Publiez les horaires, les services et les permanences de chaque partenaire dans le registre : les habitants trouvent alors le guichet ouvert le plus proche, au bon moment.
"""

HELP_DESK_EN = """A help desk for procedures, on the model of the France Services centres, lets residents be helped by a person with their paperwork: taxes, pensions, benefits, health, jobs, identity papers.

## The France Services label

The State grants the label against a specification of the national agency for territorial cohesion (ANCT): at least two trained staff, opening at least 24 hours a week over five days, and access to the services of national partners (France Travail, CAF, health insurance, pension insurance, MSA, public finances, the Interior and Justice ministries, La Poste). Ask the prefecture for the current version. A desk can also start without the label.

## Getting started

- **A place people already visit**: town hall, media library, post office, social centre. A closed office for confidentiality, a computer in free access, a printer and a scanner.
- **Trained staff** who know the online procedures and how to welcome people who are not at ease with computers.
- **Partners**: sign an agreement with each body that gives your staff a direct contact for files that are stuck.

## Welcoming people

1. Listen to the request and check the documents it needs.
2. Do it with the person rather than for them, so that they gain independence.
3. Refer them to the right body when the request goes beyond the desk.

## Being found

Publish the hours, the services and each partner's sessions in the registry: residents then find the nearest desk that is open at the right time.
"""

GUIDES = [
    {
        "slug": "ouvrir-un-repair-cafe",
        "profile": "creation",
        "position": 1,
        "title_fr": "Ouvrir un repair café",
        "title_en": "How to open a repair café",
        "summary_fr": "Bénévoles, salle, assurance, règlement et déroulé d'une rencontre.",
        "summary_en": "Volunteers, a room, insurance, house rules and how a session runs.",
        "body_fr": REPAIR_CAFE_FR,
        "body_en": REPAIR_CAFE_EN,
    },
    {
        "slug": "partager-une-salle-de-mediatheque",
        "profile": "",
        "position": 2,
        "title_fr": "Partager une salle de votre médiathèque",
        "title_en": "Sharing a room of your media library",
        "summary_fr": "Repérer les créneaux libres, fixer les règles, faire connaître la salle.",
        "summary_en": "Find the free hours, set the rules, make the room known.",
        "body_fr": ROOM_FR,
        "body_en": ROOM_EN,
    },
    {
        "slug": "ouvrir-un-guichet-d-aide-aux-demarches",
        "profile": "mediation",
        "position": 3,
        "title_fr": "Ouvrir un guichet d'aide aux démarches (type France Services)",
        "title_en": "Start a help desk for procedures (like France Services)",
        "summary_fr": "Le label, le lieu, les agents, les partenaires et l'accueil.",
        "summary_en": "The label, the place, the staff, the partners and the welcome.",
        "body_fr": HELP_DESK_FR,
        "body_en": HELP_DESK_EN,
    },
]


def seed(apps, schema_editor):
    Guide = apps.get_model("initiatives", "Guide")
    for values in GUIDES:
        Guide.objects.get_or_create(slug=values["slug"], defaults={**values, "published": True})


def unseed(apps, schema_editor):
    apps.get_model("initiatives", "Guide").objects.filter(
        slug__in=[g["slug"] for g in GUIDES], version=1
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
