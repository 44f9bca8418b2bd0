"""Attribution records: built when an order line's outputs exist, signed into the print PNG as a
C2PA credential, saved (the outbox), then written to the chain by the single-writer `chain` queue."""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from marketplace.models import LineStage, ModerationAction, ModerationDecision, OrderLine, ReportTarget
from provenance.chain_access import chain_client, chain_lock, keys_dir
from provenance.core import manifest as mf
from provenance.core.chain import AttributionRecord as ChainRecord
from provenance.core.chain import ChainConflict, ChainRejected
from provenance.core.credentials import IngredientRef, ensure_dev_certificates, sign_png
from provenance.core.hashing import sha256_hex
from provenance.core.ids import check_record_id, new_record_id, record_id_to_bytes32
from provenance.core.merkle import MerkleTree, record_leaf
from provenance.core.perceptual import bands, perceptual_hashes, to_signed64
from provenance.core.revocation import reason_code_of, reason_word
from provenance.core.stamp import new_nonce, stamp_png, stamp_svg
from provenance.fingerprints import repeat_fingerprint_create
from provenance.models import AnchorBatch, AttributionRecord, ChainStatus
from provenance.tasks import anchor_batch_task, chain_write_task

log = logging.getLogger(__name__)

PLATFORM_PAYEE = "motif-platform"
_HEX64_LEN = 64


def _read(field: Any) -> bytes:
    with field.open("rb") as fh:
        data: bytes = fh.read()
    return data


def _thumbnail_png(data: bytes, side: int = 256) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        thumb = image.convert("RGB")
    thumb.thumbnail((side, side))
    out = io.BytesIO()
    thumb.save(out, format="PNG")
    return out.getvalue()


def royalty_split_bps(line: OrderLine) -> dict[str, int]:
    """Who is owed what share of the line, in basis points of its total, per payee public id.
    The platform takes the rounding remainder so the shares always sum to 10 000."""
    total = line.line_total
    personalization = line.personalization
    shares: dict[str, int] = {}
    if total > 0:

        def bps(amount: Decimal) -> int:
            return int((amount / total * 10_000).quantize(Decimal("1"), rounding=ROUND_HALF_UP))

        if personalization.style is not None:
            artist = line.style_fee + total * line.artist_royalty_percent / 100
            shares[str(personalization.style.artist.public_id)] = bps(artist)
        designer = total * line.designer_royalty_percent / 100
        designer_key = str(personalization.base_pattern.designer.public_id)
        shares[designer_key] = shares.get(designer_key, 0) + bps(designer)
    shares = {payee: share for payee, share in shares.items() if share > 0}
    shares[PLATFORM_PAYEE] = 10_000 - sum(shares.values())
    return {payee: share for payee, share in shares.items() if share > 0}


def _engine_section(info: dict[str, Any]) -> mf.EngineInfo:
    weights = info.get("weights_sha256")
    return mf.EngineInfo(
        method=str(info.get("method", "unknown")),
        encoder=str(info.get("encoder", "unknown")),
        weights_sha256=weights if isinstance(weights, str) and len(weights) == _HEX64_LEN else None,
        library_versions={
            key: str(info[key]) for key in ("torch_version", "torchvision_version") if key in info
        },
        device=str(info.get("device", "unknown")),
    )


def attribution_record_create(*, order_line_id: int) -> AttributionRecord:
    """Idempotent: a line's current output has one record (a buyer's re-render supersedes it, and
    the new output gets its own). The credential goes into the print PNG in the same transaction
    that saves the record, so a crash leaves either both or neither."""
    existing = AttributionRecord.objects.filter(
        order_line_id=order_line_id, superseded_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    line = OrderLine.objects.select_related(
        "order__buyer",
        "licence_version",
        "personalization__base_pattern__designer",
        "personalization__style__artist",
    ).get(pk=order_line_id)
    personalization = line.personalization
    pattern = personalization.base_pattern
    # The render step reserved the id when it printed the record's verify URL on the selvedge.
    record_id = check_record_id(line.reserved_record_id) if line.reserved_record_id else new_record_id()
    nonce = new_nonce()
    rendered_png = stamp_png(_read(line.print_png), record_id=record_id, nonce=nonce)
    sheet = stamp_png(_read(line.print_sheet), record_id=record_id, nonce=nonce)
    svg = stamp_svg(_read(line.svg), record_id=record_id, nonce=nonce) if line.svg else None
    with Image.open(io.BytesIO(rendered_png)) as image:
        perceptual = perceptual_hashes(image.convert("RGB"))

    style_ref: mf.LicencedStyleRef | mf.BuyerStyleImage
    if personalization.style is not None and line.licence_version is not None:
        style = personalization.style
        licence = line.licence_version
        style_ref = mf.LicencedStyleRef(
            style_id=str(style.pk),
            sha256=style.image_sha256,
            artist_public_id=str(style.artist.public_id),
            licence=mf.LicenceVersion(version=str(licence.version), terms=licence.terms()),
        )
        style_title, style_sha = style.title, style.image_sha256
        style_thumb = _thumbnail_png(_read(style.thumbnail))
    else:
        style_ref = mf.BuyerStyleImage(sha256=personalization.style_image_sha256)
        style_title, style_sha = "Buyer's own image", personalization.style_image_sha256
        style_thumb = _thumbnail_png(_read(personalization.style_image))

    commitment = mf.make_order_commitment(
        order_id=str(line.order_id), buyer_id=str(line.order.buyer.public_id)
    )
    manifest = mf.build_manifest(
        mf.AttributionInput(
            record_id=record_id,
            created_at=timezone.now().astimezone(dt.UTC),
            base_pattern=mf.BasePatternRef(
                pattern_id=str(pattern.pk),
                sha256=pattern.image_sha256,
                designer_public_id=str(pattern.designer.public_id),
            ),
            style=style_ref,
            stylization=mf.StylizationSettings(
                params={k: v for k, v in personalization.params().items() if k != "seed"},
                seed=personalization.seed,
            ),
            engine=_engine_section(dict(line.render_info.get("engine", {}))),
            outputs=mf.OutputHashes(
                print_png_sha256=sha256_hex(rendered_png),
                print_sheet_sha256=sha256_hex(sheet),
                svg_sha256=sha256_hex(svg) if svg is not None else None,
                phash=perceptual.phash_hex,
                dhash=perceptual.dhash_hex,
            ),
            royalty_split_bps=royalty_split_bps(line),
            order_commitment=commitment.commitment,
        )
    )
    manifest_sha = mf.manifest_hash(manifest).hex()
    certs = ensure_dev_certificates(keys_dir())
    base_pattern_ref = IngredientRef(
        title=pattern.title,
        sha256=pattern.image_sha256,
        thumbnail_png=_thumbnail_png(_read(pattern.thumbnail)),
    )
    style_ingredient = IngredientRef(title=style_title, sha256=style_sha, thumbnail_png=style_thumb)

    def signed(data: bytes, *, asset: str, title: str) -> bytes:
        return sign_png(
            data,
            title=title,
            record_id=record_id,
            manifest_hash_hex=manifest_sha,
            base_pattern=base_pattern_ref,
            style=style_ingredient,
            certs=certs,
            nonce=nonce,
            asset=asset,
        )

    title = f"{pattern.title} × {style_title}"
    delivered_png = signed(rendered_png, asset="print_png", title=title)
    # The print sheet is what a shop prints and ships, so it carries its own credential too.
    delivered_sheet = signed(sheet, asset="print_sheet", title=f"{title} (print sheet)")
    phash_bands = bands(perceptual.phash)
    with transaction.atomic():
        locked = OrderLine.objects.select_for_update().get(pk=order_line_id)
        existing = AttributionRecord.objects.filter(
            order_line_id=order_line_id, superseded_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        unsigned = [field.name for field in (locked.print_png, locked.print_sheet, locked.svg) if field]
        locked.print_png.save("print.png", ContentFile(delivered_png), save=False)
        locked.print_sheet.save("print-sheet.png", ContentFile(delivered_sheet), save=False)
        if svg is not None:
            locked.svg.save("print.svg", ContentFile(svg), save=False)
        # The unstamped files are superseded; the workflow deletes them once the line is delivered.
        locked.render_info = {**locked.render_info, "superseded": unsigned}
        locked.render_progress = max(locked.render_progress, 98)
        if locked.can_move_to(LineStage.ATTRIBUTED):
            locked.move_to(LineStage.ATTRIBUTED)
        locked.save(
            update_fields=[
                "print_png",
                "print_sheet",
                "svg",
                "render_info",
                "render_progress",
                "stage",
                "stage_changed_at",
            ]
        )
        record = AttributionRecord.objects.create(
            record_id=record_id,
            order_line=locked,
            manifest=manifest,
            manifest_sha256=manifest_sha,
            commitment_salt=commitment.salt,
            delivered_png_sha256=sha256_hex(delivered_png),
            delivered_sheet_sha256=sha256_hex(delivered_sheet),
            nonce=nonce,
            rendered_png_sha256=sha256_hex(rendered_png),
            print_sheet_sha256=sha256_hex(sheet),
            svg_sha256=sha256_hex(svg) if svg is not None else "",
            phash=to_signed64(perceptual.phash),
            dhash=to_signed64(perceptual.dhash),
            phash_band0=phash_bands[0],
            phash_band1=phash_bands[1],
            phash_band2=phash_bands[2],
            phash_band3=phash_bands[3],
        )
        transaction.on_commit(lambda: _enqueue_chain_write(record.pk))
    return record


def order_line_attribute(*, order_line_id: int) -> AttributionRecord | None:
    """The fulfilment step vectorized → attributed: the record, the hashes and the signed PNG, and
    the record's repeat-aware fingerprint. Idempotent, so a redelivery is harmless (and finishes a
    fingerprint that a crash left unmade); a line at any other stage is left alone."""
    line = OrderLine.objects.filter(pk=order_line_id).only("stage").first()
    if line is None:
        return None
    if line.stage == LineStage.VECTORIZED:
        record: AttributionRecord | None = attribution_record_create(order_line_id=order_line_id)
    else:
        record = AttributionRecord.objects.filter(
            order_line_id=order_line_id, superseded_at__isnull=True
        ).first()
    if record is not None:
        repeat_fingerprint_create(record=record)
    return record


def _enqueue_chain_write(record_pk: int) -> None:
    if settings.PROVENANCE_MODE == "batch":
        pending = AttributionRecord.objects.filter(status=ChainStatus.PENDING, batch__isnull=True).count()
        if pending >= settings.PROVENANCE_BATCH_SIZE:
            anchor_batch_task.send()
    else:
        chain_write_task.send(record_pk)


def chain_record_of(record: AttributionRecord) -> ChainRecord:
    manifest = record.manifest
    style_sha = manifest["inputs"]["style"]["sha256"]
    return ChainRecord(
        record_id=record.record_id,
        manifest_hash=bytes.fromhex(record.manifest_sha256),
        output_hash=bytes.fromhex(record.delivered_png_sha256),
        base_pattern_hash=bytes.fromhex(manifest["inputs"]["base_pattern"]["sha256"]),
        style_hash=bytes.fromhex(style_sha),
    )


def record_write_to_chain(*, record_pk: int) -> AttributionRecord:
    """Exactly once: a resend after a crash or a timeout finds the record already on chain and
    marks it confirmed. ChainUnavailable propagates, so the queue retries with backoff."""
    record = AttributionRecord.objects.get(pk=record_pk)
    if record.status != ChainStatus.PENDING or record.batch_id is not None:
        return record
    AttributionRecord.objects.filter(pk=record_pk).update(attempts=record.attempts + 1)
    try:
        with chain_lock:
            client = chain_client()
            receipt = client.attribute(chain_record_of(record))
    except (ChainConflict, ChainRejected) as exc:
        AttributionRecord.objects.filter(pk=record_pk).update(
            status=ChainStatus.FAILED, last_error=str(exc)[:2000]
        )
        record.refresh_from_db()
        return record
    except Exception as exc:
        AttributionRecord.objects.filter(pk=record_pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    AttributionRecord.objects.filter(pk=record_pk, status=ChainStatus.PENDING).update(
        status=ChainStatus.CONFIRMED,
        chain_id=client.chain_id,
        contract_address=client.address,
        tx_hash=receipt.tx_hash,
        block_number=receipt.block_number,
        block_time=receipt.block_time,
        gas_used=receipt.gas_used,
        last_error="",
        confirmed_at=timezone.now(),
    )
    record.refresh_from_db()
    upheld = _upheld_takedown_of(record)
    if upheld is not None and not record.revoked:
        # A line of a listing taken down for good, made after the decision (it was paid before).
        record = record_revoke(record=record, reason_code=upheld.reason_code)
    return record


def _upheld_takedown_of(record: AttributionRecord) -> ModerationDecision | None:
    personalization = record.order_line.personalization
    return (
        ModerationDecision.objects.filter(action=ModerationAction.UPHOLD)
        .filter(
            Q(report__style_id=personalization.style_id, report__style__isnull=False)
            | Q(report__pattern_id=personalization.base_pattern_id)
        )
        .order_by("created_at")
        .first()
    )


def records_anchor_batch(*, limit: int | None = None) -> AnchorBatch | None:
    """Batch mode: the pending records go under one Merkle root, anchored in one transaction.
    Each record keeps its inclusion proof. Safe to run again: a batch is built once and resent."""
    with transaction.atomic():
        batch = AnchorBatch.objects.select_for_update().filter(status=ChainStatus.PENDING).first()
        if batch is None:
            pending = list(
                AttributionRecord.objects.select_for_update()
                .filter(status=ChainStatus.PENDING, batch__isnull=True)
                .order_by("pk")[: limit or settings.PROVENANCE_BATCH_SIZE]
            )
            if not pending:
                return None
            leaves = [
                record_leaf(record_id_to_bytes32(r.record_id), bytes.fromhex(r.manifest_sha256))
                for r in pending
            ]
            tree = MerkleTree.build(leaves)
            batch = AnchorBatch.objects.create(merkle_root=tree.root.hex(), count=len(pending))
            for index, record in enumerate(pending):
                record.batch = batch
                record.merkle_proof = [p.hex() for p in tree.proof(index)]
                record.save(update_fields=["batch", "merkle_proof"])
    with chain_lock:
        client = chain_client()
        existing = client.lookup_batch(bytes.fromhex(batch.merkle_root))
        if existing is None:
            receipt = client.anchor_batch(bytes.fromhex(batch.merkle_root), batch.count)
            tx_hash, block, gas = receipt.tx_hash, receipt.block_number, receipt.gas_used
            block_time = receipt.block_time
        else:
            tx_hash, block, gas, block_time = (
                existing.tx_hash,
                existing.block_number,
                None,
                existing.block_time,
            )
    with transaction.atomic():
        AnchorBatch.objects.filter(pk=batch.pk).update(
            status=ChainStatus.CONFIRMED, tx_hash=tx_hash, block_number=block, gas_used=gas
        )
        batch.records.update(
            status=ChainStatus.CONFIRMED,
            chain_id=client.chain_id,
            contract_address=client.address,
            tx_hash=tx_hash,
            block_number=block,
            block_time=block_time,
            confirmed_at=timezone.now(),
        )
    batch.refresh_from_db()
    return batch


def record_revoke(*, record: AttributionRecord, reason_code: str) -> AttributionRecord:
    """A takedown: revoked on chain with its reason code (provenance.core.revocation), which anyone
    reading the chain can read; the reasoning in words stays in the moderation log. Safe to repeat:
    a record the chain revoked already is only marked so here."""
    word = reason_word(reason_code)
    with chain_lock:
        client = chain_client()
        if not client.is_revoked(record.record_id):
            client.revoke(record.record_id, word)
        revocation = client.revocation(record.record_id)
    AttributionRecord.objects.filter(pk=record.pk).update(
        revoked=True,
        revocation_reason_sha256=(revocation.reason if revocation else word).hex(),
        revocation_reason=reason_code_of(revocation.reason) if revocation else reason_code,
        revoked_at=revocation.block_time if revocation else timezone.now(),
    )
    record.refresh_from_db()
    return record


def records_revoke_for_decision(*, decision_id: int) -> int:
    """An upheld infringement report: every attribution record of the listing's sales is revoked
    with the decision's reason code. Returns how many were revoked; a resend revokes the rest."""
    decision = ModerationDecision.objects.select_related("report").get(pk=decision_id)
    report = decision.report
    listing_id = report.listing.pk
    if report.target == ReportTarget.STYLE:
        records = AttributionRecord.objects.filter(order_line__personalization__style_id=listing_id)
    else:
        records = AttributionRecord.objects.filter(order_line__personalization__base_pattern_id=listing_id)
    for record in records.filter(revoked=False).order_by("pk"):
        record_revoke(record=record, reason_code=decision.reason_code)
    revoked = records.filter(revoked=True).count()
    ModerationDecision.objects.filter(pk=decision_id).update(records_revoked=revoked)
    return revoked


def records_requeue_pending() -> int:
    """At start-up: the outbox is the database, so every pending record is sent again. (Lines still
    waiting for their record are the fulfilment sweep's.)"""
    if settings.PROVENANCE_MODE == "batch":
        if AttributionRecord.objects.filter(status=ChainStatus.PENDING).exists():
            anchor_batch_task.send()
        return 0
    ids = list(AttributionRecord.objects.filter(status=ChainStatus.PENDING).values_list("pk", flat=True))
    for pk in ids:
        chain_write_task.send(pk)
    return len(ids)


def dev_trust_anchor() -> bytes:
    """The CA that verification trusts: the configured one, else the development CA under var/keys."""
    if settings.C2PA_TRUST_ANCHOR_PATH:
        return Path(settings.C2PA_TRUST_ANCHOR_PATH).read_bytes()
    return ensure_dev_certificates(keys_dir()).root_cert.read_bytes()
