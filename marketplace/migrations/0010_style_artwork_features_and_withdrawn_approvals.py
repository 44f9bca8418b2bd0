"""Local features of every listed style's artwork (style laundering), and approvals whose line the
buyer cancelled before the artist answered closed as withdrawn."""

import django.db.models.deletion
from django.db import migrations, models


def features_backfill(apps, schema_editor):
    import io

    from PIL import Image

    from marketplace.artwork_features import FEATURES_METHOD, artwork_features

    Style = apps.get_model("marketplace", "Style")
    StyleArtworkFeatures = apps.get_model("marketplace", "StyleArtworkFeatures")
    for style in Style.objects.filter(artwork_features__isnull=True).iterator():
        try:
            with style.image.open("rb") as fh, Image.open(io.BytesIO(fh.read())) as opened:
                artwork = opened.convert("RGB")
        except (OSError, ValueError):
            continue  # a missing file stays unmatched; uploading the image again stores its features
        StyleArtworkFeatures.objects.create(
            style=style, method=FEATURES_METHOD, keypoints=artwork_features(artwork).to_bytes()
        )


def cancelled_approvals_withdraw(apps, schema_editor):
    DerivativeApproval = apps.get_model("marketplace", "DerivativeApproval")
    DerivativeApproval.objects.filter(status="pending").exclude(
        order_line__stage="awaiting_artist_approval"
    ).update(status="withdrawn")


class Migration(migrations.Migration):

    dependencies = [
        ('marketplace', '0009_background_jobs'),
    ]

    operations = [
        migrations.CreateModel(
            name='StyleArtworkFeatures',
            fields=[
                ('style', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='artwork_features', serialize=False, to='marketplace.style')),
                ('method', models.CharField(max_length=16)),
                ('keypoints', models.BinaryField()),
            ],
        ),
        migrations.AlterField(
            model_name='derivativeapproval',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('approved', 'Approved'), ('declined', 'Declined'), ('expired', 'Expired'), ('withdrawn', 'Withdrawn')], default='pending', max_length=10),
        ),
        migrations.RunPython(features_backfill, migrations.RunPython.noop),
        migrations.RunPython(cancelled_approvals_withdraw, migrations.RunPython.noop),
    ]
