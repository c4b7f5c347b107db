"""The search vocabulary: what `interpret` reads in a query, and its staff pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from places.models import ChangeRecord, Role
from services import actions
from services.models import NeedWord
from services.vocabulary import interpret, phrase_key, understand
from tests.factories import MembershipFactory, PlaceFactory, UserFactory

pytestmark = pytest.mark.django_db

PRINT = {"impression-numerisation"}
PROCEDURES = {"demarches-en-ligne"}

# (query, kinds, typologies, words left for text search)
READINGS = [
    ("aide CAF", {"caf"}, set(), []),
    ("CAF", {"caf"}, set(), []),
    ("caf", {"caf"}, set(), []),
    ("imprimer un document", PRINT, set(), []),
    ("impression", PRINT, set(), []),
    ("impressions", PRINT, set(), []),
    ("allocations familiales", {"caf"}, set(), []),
    ("aide administrative", PROCEDURES, set(), []),
    ("paperwork", PROCEDURES, set(), []),
    ("informatique", {"numerique-bases"}, set(), []),
    ("Pôle emploi", {"france-travail"}, set(), []),
    ("pole-emploi", {"france-travail"}, set(), []),
    ("FRANCE TRAVAIL", {"france-travail"}, set(), []),
    ("carte grise", {"ants"}, set(), []),
    ("je cherche une carte d'identité", {"ants"}, set(), []),
    ("sécurité sociale", {"assurance-maladie"}, set(), []),
    ("securite sociale", {"assurance-maladie"}, set(), []),
    ("carte vitale", {"assurance-maladie"}, set(), []),
    ("prime d’activité", {"caf"}, set(), []),
    ("imprimante 3D", {"machines-fablab"}, set(), []),
    ("imprimante", PRINT, set(), []),
    ("découpe laser", {"machines-fablab"}, set(), []),
    ("salle de réunion", {"salle-reunion"}, set(), []),
    ("meeting room near me", {"salle-reunion"}, set(), []),
    ("3D printer", {"machines-fablab"}, set(), []),
    ("print", PRINT, set(), []),
    ("fablab", set(), {"fablab", "techshop"}, []),
    ("fab lab", set(), {"fablab", "techshop"}, []),
    ("repair café", set(), {"repair_cafe"}, []),
    ("médiathèque wifi", {"acces-equipement"}, {"mediatheque"}, []),
    ("imprimmer", PRINT, set(), []),  # one typo
    ("alocations", {"caf"}, set(), []),  # one typo
    ("caf Guillotière", {"caf"}, set(), ["guillotiere"]),
    ("Jean Macé", set(), set(), ["jean", "mace"]),
    ("", set(), set(), []),
    ("le la les pour un", set(), set(), []),
    ('"* NEAR - : ()', set(), set(), []),
]


@pytest.mark.parametrize(("query", "kinds", "typologies", "words"), READINGS)
def test_interpretation(query, kinds, typologies, words):
    reading = understand(query)
    assert reading.kinds == kinds
    assert reading.typologies == typologies
    assert reading.words == words


def test_typo_is_reported_as_a_correction_and_short_words_are_not_guessed():
    assert understand("imprimmer").corrections == {"imprimmer": "imprimer"}
    assert understand("cafe").kinds == set()  # four letters: no typo guessed for "caf"
    assert understand("rsa").kinds == {"caf"}
    assert interpret("imprimmer").kinds == set()  # typos are guessed only on request


def test_a_word_of_place_names_is_not_read_as_a_typo(organisation):
    assert understand("espace").kinds == {"retrait-especes"}  # no place says "espace"
    PlaceFactory(organisation=organisation, name="Espace numérique du Moulin").save()
    reading = understand("espace")
    assert reading.kinds == set() and reading.words == ["espace"]


def test_a_thousand_characters_are_cut_to_a_few_words():
    reading = interpret("caf " + "x" * 1000 + " y" * 500)
    assert reading.kinds == {"caf"}
    assert len(reading.words) + len(reading.recognised) + len(reading.ignored) <= 12


def test_phrase_key_is_accent_case_and_punctuation_free():
    assert phrase_key("  Carte d'Identité !") == "carte d identite"


# -- actions --------------------------------------------------------------------------


def test_create_update_delete_are_validated_and_recorded(registry_admin):
    word = actions.need_word_create(
        user=registry_admin,
        data={"phrase": "Sécu sociale", "language": "fr", "kinds": ["assurance-maladie"]},
    )
    assert word.normalized == "secu sociale"
    assert interpret("secu sociale").kinds == {"assurance-maladie"}
    actions.need_word_update(
        word=word, user=registry_admin, data={"kinds": ["caf"]}, expected_version=1
    )
    assert interpret("sécu sociale").kinds == {"caf"}
    actions.need_word_delete(word=word, user=registry_admin, expected_version=2)
    assert not NeedWord.objects.filter(normalized="secu sociale").exists()
    records = ChangeRecord.objects.filter(target=f"need_word:{word.pk}").order_by("id")
    assert [r.action for r in records] == ["create", "update", "delete"]
    assert records[1].changes["kinds"] == [["assurance-maladie"], ["caf"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"phrase": "!!!", "language": "fr", "kinds": ["caf"]}, "phrase"),
        ({"phrase": "C.A.F.", "language": "fr", "kinds": ["caf"]}, None),
        ({"phrase": "caf", "language": "fr", "kinds": ["caf"]}, "phrase"),  # duplicate
        ({"phrase": "truc", "language": "fr", "kinds": ["no-such-kind"]}, "kinds"),
        ({"phrase": "truc", "language": "fr", "typologies": ["castle"]}, "typologies"),
        ({"phrase": "truc", "language": "fr"}, "kinds"),
        ({"phrase": "truc", "language": "xx", "kinds": ["caf"]}, "language"),
    ],
)
def test_invalid_words_are_refused(registry_admin, data, field):
    before = NeedWord.objects.count()
    if field is None:  # "C.A.F." reads "c a f": a new, valid phrase
        actions.need_word_create(user=registry_admin, data=data)
        assert NeedWord.objects.count() == before + 1
        return
    with pytest.raises(ValidationError) as error:
        actions.need_word_create(user=registry_admin, data=data)
    assert field in error.value.message_dict
    assert NeedWord.objects.count() == before


# -- staff pages ----------------------------------------------------------------------


def _urls():
    word = NeedWord.objects.get(normalized="caf")
    return [
        reverse("services:need_word_list"),
        reverse("services:need_word_create"),
        reverse("services:need_word_edit", args=[word.pk]),
        reverse("services:need_word_delete", args=[word.pk]),
    ]


def test_pages_for_registry_admins_only(admin_client_, manager_client, viewer_client):
    anonymous = Client()
    for url in _urls():
        assert admin_client_.get(url).status_code == 200, url
        assert manager_client.get(url).status_code == 403, url
        assert viewer_client.get(url).status_code == 403, url
        assert anonymous.get(url).status_code == 302, url
    word = NeedWord.objects.get(normalized="caf")
    delete = reverse("services:need_word_delete", args=[word.pk])
    assert manager_client.post(delete).status_code == 403
    assert NeedWord.objects.filter(pk=word.pk).exists()


def test_staff_of_another_organisation_without_admin_role_is_refused(other_organisation):
    person = UserFactory(username="outside-viewer")
    MembershipFactory(user=person, organisation=other_organisation, role=Role.VIEWER)
    visitor = Client()
    visitor.force_login(person)
    for url in _urls():
        assert visitor.get(url).status_code == 403, url
    assert visitor.post(reverse("services:need_word_create"), {}).status_code == 403


def test_list_shows_words_with_kind_names(admin_client_, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client_.get(reverse("services:need_word_list"))
    content = response.content.decode()
    assert "carte grise" in content
    assert "Papiers d&#x27;identité, permis et carte grise (ANTS)" in content or (
        "ID papers, driving licence" in content
    )


def test_admin_adds_edits_and_removes_a_word(admin_client_):
    response = admin_client_.post(
        reverse("services:need_word_create"),
        {"phrase": "Caisse d'allocations", "language": "fr", "kinds": ["caf"]},
    )
    assert response.status_code == 302
    word = NeedWord.objects.get(normalized="caisse d allocations")
    response = admin_client_.post(
        reverse("services:need_word_edit", args=[word.pk]),
        {
            "phrase": "Caisse d'allocations",
            "language": "fr",
            "typologies": ["france_services"],
            "version": 1,
        },
    )
    assert response.status_code == 302
    word.refresh_from_db()
    assert word.kinds == [] and word.typologies == ["france_services"]
    assert word.version == 2
    response = admin_client_.post(
        reverse("services:need_word_delete", args=[word.pk]), {"version": 2}
    )
    assert response.status_code == 302
    assert not NeedWord.objects.filter(pk=word.pk).exists()


def test_invalid_post_keeps_input_and_says_why(admin_client_):
    response = admin_client_.post(
        reverse("services:need_word_create"), {"phrase": "caf", "language": "fr", "kinds": []}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'value="caf"' in content
    assert NeedWord.objects.filter(normalized="caf").count() == 1


def test_paperwork_words_move_to_procedures_but_edited_words_keep_their_meaning():
    """services/0006: only words still holding the seeded pair of kinds change, both ways."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("services.migrations.0006_paperwork_words_mean_procedures")
    pair = ["demarches-en-ligne", "numerique-bases"]
    NeedWord.objects.filter(normalized="paperwork").update(kinds=pair)
    NeedWord.objects.filter(normalized="admin help").update(kinds=["caf"])  # edited by staff
    migration.forward(apps, None)
    assert NeedWord.objects.get(normalized="paperwork").kinds == ["demarches-en-ligne"]
    assert NeedWord.objects.get(normalized="admin help").kinds == ["caf"]
    assert NeedWord.objects.get(normalized="informatique").kinds == ["numerique-bases"]
    migration.backward(apps, None)
    assert NeedWord.objects.get(normalized="paperwork").kinds == pair
    assert NeedWord.objects.get(normalized="admin help").kinds == ["caf"]


# (query, kinds, the time named: weekday, days ahead, minutes, now; words left for text)
TIMES = [
    ("caf samedi matin", {"caf"}, (5, None, 600, False), []),
    ("CAF Saturday morning", {"caf"}, (5, None, 600, False), []),
    ("imprimer demain 14h30", PRINT, (None, 1, 870, False), []),
    ("ouvert maintenant", set(), (None, None, None, True), []),
    ("samedi 10:00", set(), (5, None, 600, False), []),
    ("mardis après-midi", set(), (1, None, 900, False), []),
    ("print 3pm tuesday", PRINT, (1, None, 900, False), []),
    ("caf ce soir", {"caf"}, (None, None, 1110, False), []),
    ("jeudi 9 h 15", set(), (3, None, 555, False), []),
    ("aujourd'hui", set(), (None, 0, None, False), []),
    ("caf 25h", {"caf"}, (None, None, None, False), ["25h"]),
    ("69530", set(), (None, None, None, False), ["69530"]),
    ("12 rue des Tilleuls", set(), (None, None, None, False), ["12", "rue", "tilleuls"]),
]


@pytest.mark.parametrize(("query", "kinds", "time", "words"), TIMES, ids=[t[0] for t in TIMES])
def test_a_time_in_the_words_is_read_apart(query, kinds, time, words):
    reading = interpret(query)
    when = reading.when
    assert reading.kinds == kinds
    assert (when.weekday, when.days_ahead, when.minutes, when.now) == time
    assert reading.words == words


# "Now" is Tuesday 10 March 2026, 10:30 in Paris.
INSTANTS = [
    ("samedi matin", "2026-03-14T10:00"),
    ("samedi", "2026-03-14T10:00"),  # a day without a time: 10:00
    ("mardi 11h", "2026-03-10T11:00"),  # today, still ahead
    ("mardi 9h", "2026-03-17T09:00"),  # today but passed: next week
    ("9h", "2026-03-11T09:00"),  # a time alone, passed: tomorrow
    ("16h", "2026-03-10T16:00"),
    ("demain", "2026-03-11T10:00"),
    ("ce soir", "2026-03-10T18:30"),
    ("aujourd'hui", "2026-03-10T10:30"),  # today without a time: from now
    ("ouvert", "2026-03-10T10:30"),
    ("ouvert dimanche", "2026-03-15T10:00"),
]


@pytest.mark.parametrize(("query", "expected"), INSTANTS, ids=[i[0] for i in INSTANTS])
def test_the_time_named_is_the_next_such_instant(query, expected):
    import datetime
    import zoneinfo

    paris = zoneinfo.ZoneInfo("Europe/Paris")
    now = datetime.datetime(2026, 3, 10, 10, 30, tzinfo=paris)
    at = interpret(query, []).when.at(now)
    assert at == datetime.datetime.fromisoformat(expected).replace(tzinfo=paris)
    assert interpret("caf", []).when.at(now) is None
