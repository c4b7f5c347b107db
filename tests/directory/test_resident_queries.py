"""Resident queries against the demo registry: what people type, what they must get.

One row per query. To add a case, append a `Row`: `params` adds other search fields (a
commune, a day...), and each check is optional:
- `kinds`: every result offers (an available offer of) one of these service kinds;
- `typologies`: every result is of one of these typologies;
- `includes`: these place names are among the results; `first`: how the first result's
  name begins (the demo has namesakes in several communes);
- `at_least`: the minimum number of results (1 by default; 0 for "no answer expected");
- `none`: no result at all; `not_understood`: words the page says it did not understand.

The demo registry (`load_demo`, fast mode, fixed seed) is loaded once for the module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from places.models import Place
from services.selectors import available_offers

PRINT = {"impression-numerisation"}
# Paperwork words mean help with procedures, not a class on digital basics.
PROCEDURES = {"demarches-en-ligne"}
EQUIPMENT = {"acces-equipement"}
MACHINES = {"machines-fablab"}
DESK = {"poste-nomade", "bureau-dedie"}
GARDEN = {"parcelles-jardin"}


@dataclass
class Row:
    q: str
    kinds: set[str] = field(default_factory=set)
    typologies: set[str] = field(default_factory=set)
    includes: list[str] = field(default_factory=list)
    first: str = ""
    at_least: int = 1
    none: bool = False
    not_understood: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.q or "(empty)"


ROWS = [
    # French: benefits
    Row("aide CAF", kinds={"caf"}, includes=["France Services Tilleuls"]),
    Row("CAF", kinds={"caf"}),
    Row("caf", kinds={"caf"}),
    Row("allocations familiales", kinds={"caf"}),
    Row("APL", kinds={"caf"}),
    Row("RSA", kinds={"caf"}),
    Row("prime d'activité", kinds={"caf"}),
    Row("prime d activite", kinds={"caf"}),
    Row("alocations", kinds={"caf"}),
    Row("besoin d'aide pour la CAF", kinds={"caf"}),
    # printing, computers
    Row("imprimer un document", kinds=PRINT),
    Row("impression", kinds=PRINT),
    Row("imprimmer", kinds=PRINT),
    Row("photocopie", kinds=PRINT),
    Row("scanner un document", kinds=PRINT),
    Row("je cherche un endroit pour imprimer", kinds=PRINT),
    Row("wifi", kinds=EQUIPMENT),
    Row("ordinateur", kinds=EQUIPMENT),
    Row("internet gratuit", kinds=EQUIPMENT, not_understood=["gratuit"]),
    # procedures
    Row("aide administrative", kinds=PROCEDURES),
    Row("démarches administratives", kinds=PROCEDURES),
    Row("demarches", kinds=PROCEDURES),
    Row("France Travail", kinds={"france-travail"}),
    Row("pole emploi", kinds={"france-travail"}),
    Row("chômage", kinds={"france-travail"}),
    Row("carte grise", kinds={"ants"}),
    Row("permis de conduire", kinds={"ants"}),
    Row("passeport", kinds={"ants"}),
    Row("carte d'identité", kinds={"ants"}),
    Row("impôts", kinds={"impots"}),
    Row("impots", kinds={"impots"}),
    Row("retraite", kinds={"retraite"}),
    Row("ameli", kinds={"assurance-maladie"}),
    Row("CPAM", kinds={"assurance-maladie"}),
    Row("carte vitale", kinds={"assurance-maladie"}),
    Row("sécurité sociale", kinds={"assurance-maladie"}),
    # work, making, repairing, gardens
    Row("coworking", typologies={"coworking"}),
    Row("bureau", kinds=DESK),
    Row("salle de réunion", kinds={"salle-reunion"}),
    Row("imprimante 3D", kinds=MACHINES),
    Row("découpe laser", kinds=MACHINES),
    Row("fablab", typologies={"fablab", "techshop"}),
    Row("fab lab", typologies={"fablab", "techshop"}),
    Row("réparer", kinds={"reparation"}),
    Row("repair café", typologies={"repair_cafe"}, includes=["Repair Café de la Soie"]),
    Row("vélo", kinds={"reparation"}),
    Row("jardin", kinds=GARDEN),
    Row("potager de la Soie", kinds=GARDEN, first="Potager de la Soie"),
    # kinds of places and names
    Row("médiathèque", typologies={"mediatheque"}),
    Row("mediatheque", typologies={"mediatheque"}),
    Row("médiatèque", typologies={"mediatheque"}),
    Row("mediatheqe", typologies={"mediatheque"}),
    Row("bibliothèque", typologies={"mediatheque"}),
    Row("Médiathèque Louise Labé", first="Médiathèque Louise Labé"),
    Row("Repair Café de la Soie", first="Repair Café de la Soie"),
    Row("France Services Tilleuls", first="France Services Tilleuls"),
    Row("Louise Labé", first="Médiathèque Louise Labé"),
    Row("Louise Labe", first="Médiathèque Louise Labé"),
    Row("Luise Labé", includes=["Médiathèque Louise Labé"]),
    Row("atelier vélo", kinds={"reparation"}),
    Row("Minimes", includes=["Atelier vélo des Minimes"]),
    Row("Brignais-le-Haut", includes=["France Services Brignais-le-Haut"]),
    Row("Brignais", includes=["France Services Brignais-le-Haut"]),
    Row("caf Brignais", kinds={"caf"}, includes=["France Services Brignais-le-Haut"]),
    # English
    Row("CAF help", kinds={"caf"}),
    Row("benefits", kinds={"caf"}),
    Row("print a document", kinds=PRINT),
    Row("printer", kinds=PRINT),
    Row("scan", kinds=PRINT),
    Row("computer", kinds=EQUIPMENT),
    Row("meeting room", kinds={"salle-reunion"}),
    Row("3D printer", kinds=MACHINES),
    Row("laser cutter", kinds=MACHINES),
    Row("repair", kinds={"reparation"}),
    Row("bike repair", kinds={"reparation"}),
    Row("garden", kinds=GARDEN),
    Row("job", kinds={"france-travail"}),
    Row("tax", kinds={"impots"}),
    Row("passport", kinds={"ants"}),
    Row("library", typologies={"mediatheque"}),
    Row("health insurance", kinds={"assurance-maladie"}),
    Row("coworking near me", typologies={"coworking"}),
    Row("I need to print", kinds=PRINT),
    # a day and a time in the words: read as "open then", never "not understood"
    Row("imprimer samedi matin", kinds=PRINT),
    Row("wifi ouvert maintenant", kinds=EQUIPMENT, at_least=0),
    Row("repair café tuesday evening", typologies={"repair_cafe"}, at_least=0),
    # words nobody catalogued, filler words, syntax characters
    Row("xyzzy", none=True, at_least=0, not_understood=["xyzzy"]),
    Row("caf xyzzy", kinds={"caf"}, not_understood=["xyzzy"]),
    Row("le la les pour un", at_least=20),
    Row('"*" NEAR - : ( ) AND OR', at_least=20),
    Row("caf* -impots", kinds={"caf"}, not_understood=[]),
    Row("'; DROP TABLE places_place; --", none=True, at_least=0, not_understood=["drop, table"]),
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    # Loaded in a transaction rolled back after the module (each test runs in a savepoint
    # inside it), so nothing of the demo leaks into the next modules.
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", fast=True)
        yield
        transaction.set_rollback(True)


def _offering(place_ids: list[int], kinds: set[str]) -> set[int]:
    offers = available_offers().filter(kind__slug__in=kinds, place_id=OuterRef("pk"))
    return set(
        Place.objects.filter(pk__in=place_ids).filter(Exists(offers)).values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=str)
def test_resident_query(client, demo, row):
    response = client.get(reverse("directory:search"), {"q": row.q, **row.params})
    assert response.status_code == 200
    page = response.context["page"]
    names = [card["place"].name for card in response.context["cards"]]
    ids = [card["place"].pk for card in response.context["cards"]]
    count = page.paginator.count
    content = response.content.decode()
    if row.none:
        assert count == 0, names
    assert count >= row.at_least, row.q
    if row.kinds:
        assert _offering(ids, row.kinds) == set(ids), names
    if row.typologies:
        typed = Place.objects.filter(pk__in=ids, typologies__code__in=row.typologies)
        assert set(typed.values_list("pk", flat=True)) == set(ids), names
    for name in row.includes:
        everywhere = [p.name for p in response.context["search"].queryset]
        assert name in everywhere, everywhere[:10]
    if row.first:
        assert names[0].startswith(row.first), names[:5]
    for word in row.not_understood:
        assert word in content
    if not row.not_understood:
        assert "not understood" not in content and "non compris" not in content
    assert 'value="' in content  # the query stays in the search box
