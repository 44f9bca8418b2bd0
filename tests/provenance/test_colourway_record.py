"""A colourway is an input of the render, so it is in the record's hashed inputs."""

from __future__ import annotations

from typing import Any

import pytest

from provenance.core.manifest import canonical_json
from provenance.services import attribution_record_create

pytestmark = pytest.mark.usefixtures("fresh_chain")


def test_two_lines_differing_only_by_colourway_hash_differently_and_the_record_names_it(
    rendered_line: Any,
) -> None:
    plain_line = rendered_line(1)
    swapped_line = rendered_line(1)
    personalization = swapped_line.personalization
    colour = personalization.base_pattern.palette[0]
    personalization.colourway = {colour: "#00c2ff"}
    personalization.save(update_fields=["colourway"])

    plain = attribution_record_create(order_line_id=plain_line.pk).manifest
    swapped = attribution_record_create(order_line_id=swapped_line.pk).manifest

    assert "colourway" not in plain["stylization"]["params"]
    assert swapped["stylization"]["params"]["colourway"] == {colour: "#00c2ff"}
    assert canonical_json(plain["stylization"]) != canonical_json(swapped["stylization"])
