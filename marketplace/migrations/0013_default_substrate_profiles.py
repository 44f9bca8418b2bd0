"""Install the shipped ICC output profile of each printed substrate (marketplace/icc), and find the\npalette of each pattern listed before palettes were kept."""

import hashlib

from django.db import migrations


def install_defaults(apps, schema_editor):
    from marketplace.icc import DEFAULT_PROFILE_FILES, default_profile_bytes
    from stylization.engine.softproof import profile_info

    SubstrateProfile = apps.get_model("marketplace", "SubstrateProfile")
    for substrate in DEFAULT_PROFILE_FILES:
        data = default_profile_bytes(substrate)
        SubstrateProfile.objects.get_or_create(
            substrate=substrate,
            defaults={
                "profile": data,
                "name": profile_info(data).name,
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )


def find_palettes(apps, schema_editor):
    """Patterns listed before palettes were kept get theirs now (the service also backfills on use)."""
    from stylization.engine.colourway import extract_palette
    from stylization.engine.images import load_image

    BasePattern = apps.get_model("marketplace", "BasePattern")
    for pattern in BasePattern.objects.filter(palette=[]).iterator():
        try:
            with pattern.image.open("rb") as fh:
                palette = extract_palette(load_image(fh.read()))
        except (OSError, ValueError):
            continue  # a missing or unreadable file: left for the service to try on use
        BasePattern.objects.filter(pk=pattern.pk).update(palette=palette)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0012_substrate_profiles_palettes_colourways")]

    operations = [
        migrations.RunPython(install_defaults, migrations.RunPython.noop),
        migrations.RunPython(find_palettes, migrations.RunPython.noop),
    ]
