from pathlib import Path
from typing import Any

import pytest
import torch
from django.core.management import CommandError, call_command


def test_fetch_weights_refuses_a_file_whose_sha256_does_not_match(tmp_path: Path, settings: Any) -> None:
    planted = tmp_path / "vgg19.pth"
    torch.save({"not": torch.zeros(1)}, planted)
    settings.STYLIZATION_VGG19_WEIGHTS = str(planted)
    with pytest.raises(CommandError, match="refusing them"):
        call_command("fetch_weights")
