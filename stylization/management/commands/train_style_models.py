"""`manage.py train_style_models`: train the demo styles' feed-forward models into the repo.

Writes `marketplace/demo_data/style_models/<style>.pt` with `<style>.json` beside it (identity,
config, checksum, training curve, judge figures), so `seed_demo` registers them without training.
A model whose identity already matches is skipped unless --force. Catalogue styles train through
the `train_style_model` queue instead (listing a style or changing its image queues them)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import torch
from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image

from stylization.engine import EngineError
from stylization.engine.feedforward import ModelConfig, model_identity, save_model, train
from stylization.services import DEMO_MODELS_DIR, DEMO_STYLES_DIR, engine, style_model_training_bases


class Command(BaseCommand):
    help = "Train the demo styles' feed-forward preview models and store them beside the demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("styles", nargs="*", help="style file stems (default: every demo style)")
        parser.add_argument("--iterations", type=int, help="override the configuration's iterations")
        parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
        parser.add_argument("--out", type=Path, default=DEMO_MODELS_DIR)
        parser.add_argument("--force", action="store_true", help="retrain even when the identity matches")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="override a model configuration field, e.g. --set levels=3 (for measuring a lever)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["threads"]:
            torch.set_num_threads(options["threads"])
        overrides = _config_overrides(options["set"])
        if options["iterations"]:
            overrides["iterations"] = options["iterations"]
        config = ModelConfig(**{**ModelConfig().as_dict(), **overrides})
        paths = sorted(DEMO_STYLES_DIR.glob("*.jpg"))
        wanted = set(options["styles"])
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            raise CommandError(
                f"no demo style named {', '.join(sorted(unknown))}; "
                f"expected {', '.join(p.stem for p in paths)}"
            )
        encoder = engine().encoder
        bases = style_model_training_bases()
        for path in paths:
            if wanted and path.stem not in wanted:
                continue
            data = path.read_bytes()
            style_sha = hashlib.sha256(data).hexdigest()
            target = options["out"] / f"{path.stem}.pt"
            identity = model_identity(
                style_sha256=style_sha, encoder_sha256=encoder.weights_sha256, config=config
            )
            card = target.with_suffix(".json")
            if (
                not options["force"]
                and card.is_file()
                and json.loads(card.read_text()).get("identity") == identity
            ):
                self.stdout.write(f"{path.stem}: up to date ({identity[:12]})")
                continue
            started = time.perf_counter()

            def report(step: int, loss: float, name: str = path.stem, started: float = started) -> None:
                if step % 50 == 0:
                    self.stdout.write(
                        f"  {name} step {step}: loss {loss:.4f} ({time.perf_counter() - started:.0f} s)"
                    )
                    self.stdout.flush()

            try:
                model = train(
                    Image.open(path).convert("RGB"),
                    bases,
                    encoder=encoder,
                    style_sha256=style_sha,
                    config=config,
                    on_loss=report,
                )
            except EngineError as exc:
                raise CommandError(f"{path.stem}: {exc}") from None
            checksum = save_model(model, target)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{path.stem}: trained in {model.training_seconds:.0f} s, {target} sha256 {checksum[:12]}, "
                    f"judge {model.judge}"
                )
            )


def _config_overrides(pairs: list[str]) -> dict[str, Any]:
    """`FIELD=VALUE` pairs typed as the configuration's own defaults are."""
    defaults = ModelConfig().as_dict()
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in defaults or not value:
            raise CommandError(f"--set {pair}: expected FIELD=VALUE with FIELD one of {', '.join(defaults)}")
        try:
            overrides[name] = type(defaults[name])(value)
        except ValueError:
            raise CommandError(f"--set {pair}: {value!r} is not a {type(defaults[name]).__name__}") from None
    return overrides
