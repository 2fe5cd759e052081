"""Retrieval quality may not fall: every tracked metric stays at or above its committed floor."""
from __future__ import annotations

import json

import pytest

from eval.baseline import BASELINE, GOLD_SETS, below_floor, measure, raised_floors


@pytest.mark.parametrize("name", sorted(GOLD_SETS))
def test_hybrid_retrieval_stays_above_the_baseline_floors(engine, name):
    floors = json.loads(BASELINE.read_text())["sets"][name]["floors"]
    assert not below_floor(measure(engine, GOLD_SETS[name]), floors)


def test_a_drop_below_a_floor_is_reported():
    assert below_floor({"recall@5": 0.90, "mrr@10": 0.95}, {"recall@5": 0.94, "mrr@10": 0.90}) == ["recall@5 0.9 < 0.94"]


def test_rewriting_the_baseline_never_lowers_a_floor():
    # a change that lifts dev English but costs extra a little must not loosen extra's floor
    assert raised_floors({"recall@1": 0.90, "en:mrr@10": 0.65}, {"recall@1": 0.85, "en:mrr@10": 0.66}) == {
        "recall@1": 0.88, "en:mrr@10": 0.66}
