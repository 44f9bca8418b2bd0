"""Fingerprint the artwork of every style listed before style laundering was checked."""

from django.db import migrations


def backfill(apps, schema_editor):
    import io

    from PIL import Image

    from marketplace.services.laundering import artwork_fingerprints

    Style = apps.get_model("marketplace", "Style")
    StyleFingerprint = apps.get_model("marketplace", "StyleFingerprint")
    for style in Style.objects.filter(fingerprints__isnull=True).iterator():
        try:
            with style.image.open("rb") as fh, Image.open(io.BytesIO(fh.read())) as opened:
                artwork = opened.convert("RGB")
        except (OSError, ValueError):
            continue  # a missing file stays unfingerprinted; uploading the image again fingerprints it
        StyleFingerprint.objects.bulk_create(
            [StyleFingerprint(style=style, **fields) for fields in artwork_fingerprints(artwork)]
        )


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0005_artists_in_control")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
