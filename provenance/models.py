"""Attribution records as Motif's database holds them: the public manifest, the private salt, the
outbox state of the chain write, and the perceptual index that finds resized copies."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from marketplace.models import LineStage, OrderStatus
from provenance.core.verify import RecordState


class ChainStatus(models.TextChoices):
    PENDING = "pending"  # saved, waiting for the chain queue (the outbox)
    CONFIRMED = "confirmed"  # on chain with the configured confirmations
    FAILED = "failed"  # the chain refused it for good (e.g. a conflicting record id)


class RegistryDeployment(models.Model):
    """Where the AttributionRegistry lives on each chain; deployed on first use."""

    chain_id = models.PositiveBigIntegerField()
    rpc_url = models.CharField(max_length=300)
    address = models.CharField(max_length=42)
    deployed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain_id", "rpc_url"], name="registry_per_chain")]

    def __str__(self) -> str:
        return f"{self.address} on chain {self.chain_id}"


class AnchorBatch(models.Model):
    """Batch mode: many records under one Merkle root, anchored in one transaction."""

    merkle_root = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=ChainStatus.choices, default=ChainStatus.PENDING)
    tx_hash = models.CharField(max_length=66, blank=True)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    gas_used = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"batch {self.merkle_root[:12]}… ({self.count})"


class AttributionRecord(models.Model):
    record_id = models.CharField(max_length=64, unique=True)
    # One current record per line. A buyer's re-render of a proof makes a new output and so a new
    # record; the earlier one is superseded (it still verifies: that file was delivered too).
    order_line = models.ForeignKey(
        "marketplace.OrderLine", on_delete=models.PROTECT, related_name="attribution_records"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    manifest = models.JSONField()
    manifest_sha256 = models.CharField(max_length=64)
    # H(salt ‖ order id ‖ buyer id) is in the manifest; the salt never leaves the database.
    commitment_salt = models.CharField(max_length=64)
    # The delivered files' hashes (the print PNG and the print sheet after their credentials were
    # embedded), for exact lookup. The manifest holds the hashes before signing (`rendered_png_sha256`,
    # `print_sheet_sha256`), of files already stamped with the record id and `nonce`
    # (provenance.core.stamp), so no two records share a file's bytes.
    delivered_png_sha256 = models.CharField(max_length=64, db_index=True)
    delivered_sheet_sha256 = models.CharField(max_length=64, db_index=True, blank=True)
    nonce = models.CharField(max_length=32, blank=True)
    print_sheet_sha256 = models.CharField(max_length=64, db_index=True)
    svg_sha256 = models.CharField(max_length=64, db_index=True, blank=True)
    rendered_png_sha256 = models.CharField(max_length=64, db_index=True)
    # Perceptual index: the 64-bit pHash as four indexed 16-bit bands (see provenance.core.perceptual).
    phash = models.BigIntegerField()
    dhash = models.BigIntegerField()
    phash_band0 = models.PositiveIntegerField(db_index=True)
    phash_band1 = models.PositiveIntegerField(db_index=True)
    phash_band2 = models.PositiveIntegerField(db_index=True)
    phash_band3 = models.PositiveIntegerField(db_index=True)

    status = models.CharField(max_length=10, choices=ChainStatus.choices, default=ChainStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    chain_id = models.PositiveBigIntegerField(null=True, blank=True)
    contract_address = models.CharField(max_length=42, blank=True)
    tx_hash = models.CharField(max_length=66, blank=True)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    block_time = models.DateTimeField(null=True, blank=True)
    gas_used = models.PositiveBigIntegerField(null=True, blank=True)
    batch = models.ForeignKey(
        AnchorBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    merkle_proof = models.JSONField(default=list, blank=True)
    revoked = models.BooleanField(default=False)
    # The bytes32 sent with the revocation (provenance.core.revocation: a reason code, readable on chain).
    revocation_reason_sha256 = models.CharField(max_length=64, blank=True)
    revocation_reason = models.CharField(max_length=31, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"],
                condition=models.Q(superseded_at__isnull=True),
                name="one_current_record_per_line",
            ),
            # A re-render that came out the same could never make a second record of that output.
            models.UniqueConstraint(
                fields=["order_line", "rendered_png_sha256"], name="one_record_per_output"
            ),
        ]

    def __str__(self) -> str:
        return f"record {self.record_id[:12]}…"

    @property
    def state(self) -> RecordState:
        """What became of the sale, read from the line and the order (the one truth of a cancel or a
        refund), so a record can never say live while its line's money went back."""
        if self.revoked:
            return RecordState.REVOKED
        line = self.order_line
        if line.stage == LineStage.CANCELLED:
            return RecordState.VOID_CANCELLED
        if line.stage == LineStage.FAILED or line.order.status == OrderStatus.REFUNDED:
            return RecordState.VOID_REFUNDED
        if self.superseded_at is not None:
            return RecordState.SUPERSEDED
        return RecordState.LIVE


class RepeatFingerprintEntry(models.Model):
    """A record's repeat-aware fingerprint (see provenance.core.repeat_fingerprint): per basis
    variant of its print tile's lattice, a phase-invariant descriptor (searched for every photo)
    and the canonical cell (loaded only for the few candidates that get aligned)."""

    record = models.OneToOneField(
        AttributionRecord, on_delete=models.CASCADE, related_name="repeat_fingerprint"
    )
    repeat_type = models.CharField(max_length=12)
    descriptors = models.BinaryField()  # float16, variants x DESCRIPTOR_SIZE
    fingerprint = models.BinaryField()  # RepeatFingerprint.to_bytes(): cells and descriptors
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"repeat fingerprint of {self.record}"
