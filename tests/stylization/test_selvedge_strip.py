"""The selvedge strip as the engine draws it: outside the repeat, sized by DPI, its QR code readable."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp

from stylization.engine import generate_pattern, print_sheet
from stylization.engine.selvedge import STRIP_MIN_IN, SelvedgeCredit, with_selvedge

URL = "https://motif.example.com/api/v1/provenance/records/0123456789abcdef0123456789abcdef/certificate/"


@pytest.mark.parametrize(("dpi", "inches"), [(72, 4), (150, 8), (300, 3)])
def test_the_strip_lies_below_the_repeat_and_its_qr_code_decodes(dpi: int, inches: int) -> None:
    tile = generate_pattern("half_drop", size=96, seed=4)
    sheet = print_sheet(tile, repeat="half_drop", width_px=inches * dpi, height_px=inches * dpi)
    credit = SelvedgeCredit(
        title="Scattered leaves × Harbour at dusk", artist="ada", designer="dora", verify_url=URL
    )
    printed = with_selvedge(sheet, credit, dpi=dpi)
    assert printed.width == sheet.width and printed.height - sheet.height >= STRIP_MIN_IN * dpi
    assert np.array_equal(np.asarray(printed.crop((0, 0, sheet.width, sheet.height))), np.asarray(sheet))
    strip = printed.crop((0, sheet.height, printed.width, printed.height))
    assert [r.text for r in zxingcpp.read_barcodes(strip)] == [URL]
