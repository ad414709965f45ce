"""Wire-copy dedup on its own: MinHash signatures, their storage form, the LSH index."""

from __future__ import annotations

from briefbot.ingest import dedup

WIRE = (
    "SEOUL, Nov 2 (Yonhap) -- North Korea is sending about 5,000 military engineers to "
    "Russia's Kursk region to help rebuild infrastructure, South Korea's spy agency said on "
    "Tuesday, citing intelligence gathered over several weeks of monitoring. The National "
    "Intelligence Service told lawmakers that the engineers would arrive in stages and that "
    "a first group had already crossed the border by train. Officials in Moscow declined to "
    "comment on the report, and Pyongyang's state media made no mention of the deployment."
)
LIGHT_EDIT = WIRE.replace("SEOUL, Nov 2 (Yonhap) --", "SEOUL (Reuters) -")
OTHER = (
    "Heavy rain flooded the coast of northern Peru on Monday, cutting roads and forcing "
    "hundreds of families from their homes, the civil defence agency said."
)


def test_a_light_edit_of_wire_copy_is_a_near_duplicate() -> None:
    index = dedup.NearDuplicateIndex(0.8)
    index.add("wire", dedup.signature(WIRE))
    index.add("other", dedup.signature(OTHER))
    match = index.best_match(dedup.signature(LIGHT_EDIT), exclude=set())
    assert match is not None and match[0] == "wire" and match[1] >= 0.8
    assert index.best_match(dedup.signature(OTHER), exclude={"other"}) is None


def test_removed_articles_are_no_longer_matched() -> None:
    index = dedup.NearDuplicateIndex(0.8)
    index.add("wire", dedup.signature(WIRE))
    index.remove("wire")
    assert index.best_match(dedup.signature(LIGHT_EDIT), exclude=set()) is None


def test_signatures_survive_their_stored_form() -> None:
    original = dedup.signature(WIRE)
    restored = dedup.decode(dedup.encode(original))
    assert restored is not None and restored.jaccard(original) == 1.0
    assert dedup.decode("not a signature") is None
    assert dedup.decode("") is None
