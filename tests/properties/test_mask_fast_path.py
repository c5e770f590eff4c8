from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.properties.identity import mask_phone


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from(["13", "14", "15", "16", "17", "18", "19"]), rest=st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_the_fast_mask_of_stored_mobiles_equals_the_parsed_one(prefix, rest):
    stored = f"+86{prefix}{rest}"
    spaced = f"+86 {prefix}{rest}"  # not the stored form: takes the parsing path
    assert mask_phone(stored) == mask_phone(spaced) == f"{prefix}{rest[0]}****{rest[-4:]}"
