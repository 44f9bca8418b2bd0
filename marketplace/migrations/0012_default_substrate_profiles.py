"""Install the shipped ICC output profile of each printed substrate (marketplace/icc)."""

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


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0011_substrate_profiles_palettes_colourways")]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]
