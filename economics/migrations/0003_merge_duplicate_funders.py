"""Budget lines funded by a provider that an organisation runs name that organisation.

The same funder was listed (and counted in the funders' concentration) twice: as the
organisation and as its own provider. This moves those lines to the organisation and
prints what it merged; it cannot be undone line by line, so going back leaves them.
"""

from django.db import migrations


def merge_funders(apps, schema_editor):
    BudgetLine = apps.get_model("economics", "BudgetLine")
    lines = BudgetLine.objects.filter(
        funder_provider__isnull=False, funder_provider__organisation__isnull=False
    ).select_related("funder_provider", "funder_provider__organisation")
    merged: dict[tuple[str, str], int] = {}
    for line in lines:
        provider = line.funder_provider
        key = (provider.name or provider.slug, provider.organisation.name)
        merged[key] = merged.get(key, 0) + 1
    for provider_id, organisation_id in lines.values_list(
        "funder_provider_id", "funder_provider__organisation_id"
    ).distinct():
        BudgetLine.objects.filter(funder_provider_id=provider_id).update(
            funder_provider=None, funder_organisation_id=organisation_id
        )
    for (provider, organisation), count in sorted(merged.items()):
        print(  # noqa: T201 - the report the person running migrate reads
            f"  Funders merged: provider “{provider}” into organisation “{organisation}” "
            f"({count} budget line{'s' if count > 1 else ''})."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("economics", "0002_space_version"),
        ("services", "0005_seed_need_words"),
    ]

    operations = [migrations.RunPython(merge_funders, migrations.RunPython.noop)]
