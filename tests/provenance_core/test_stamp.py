from __future__ import annotations

import io

import pytest
from PIL import Image

from provenance.core.ids import new_record_id
from provenance.core.stamp import StampError, new_nonce, stamp_png, stamp_svg


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


def test_a_stamp_makes_the_same_pixels_two_files_and_keeps_the_image() -> None:
    png, record = _png(), new_record_id()
    first, second = (
        stamp_png(png, record_id=record, nonce=new_nonce()),
        stamp_png(png, record_id=record, nonce=new_nonce()),
    )
    assert first != second != png
    with Image.open(io.BytesIO(first)) as image:
        image.load()
        assert image.text["motif:attribution"].startswith(f"record={record} nonce=")
        assert image.tobytes() == Image.open(io.BytesIO(png)).tobytes()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    assert stamp_svg(svg, record_id=record, nonce=new_nonce()) != stamp_svg(
        svg, record_id=record, nonce=new_nonce()
    )


def test_a_stamp_refuses_what_it_cannot_carry() -> None:
    with pytest.raises(StampError):
        stamp_png(b"GIF89a", record_id=new_record_id(), nonce=new_nonce())
    with pytest.raises(StampError):
        stamp_png(_png(), record_id=new_record_id(), nonce="not hex")
