"""The on-disk index: a round trip gives back what was built; a stale index is refused, then rebuilt."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.chunk import ChunkParams
from index.store import IndexProblem, IndexSettings, load_index, open_index

SMALL_PLAN = (Path(__file__).parent / "data" / "small_plan.txt").read_text(encoding="utf-8")  # as small_index


def test_round_trip_gives_back_passages_vectors_and_bm25(small_index, st_model):
    index = load_index(small_index, SMALL_PLAN, IndexSettings())
    assert index.vectors.ntotal == len(index.passages) == index.manifest["counts"]["passages"]
    box = next(p for p in index.passages if p.path[-1].startswith("专栏 1-1"))
    assert SMALL_PLAN[box.start:box.end].startswith("专栏 1-1")
    from index.model import encode_passages

    # embedded again as the build did, in the same batches (bfloat16 sums depend on the batch's padding)
    again = encode_passages(st_model, [p.text for p in index.passages])
    assert np.allclose(index.vectors.reconstruct_n(0, index.vectors.ntotal), again, atol=1e-5)


@pytest.mark.parametrize("change", [
    {"source": SMALL_PLAN.replace("30%", "35%")},
    {"settings": IndexSettings(chunk=ChunkParams(size=120))},
    {"settings": IndexSettings(tokenizer="jieba")},
    {"settings": IndexSettings(model_path="/elsewhere/model")},
])
def test_index_built_from_other_inputs_is_stale(small_index, change):
    with pytest.raises(IndexProblem, match="stale"):
        load_index(small_index, change.get("source", SMALL_PLAN), change.get("settings", IndexSettings()))


def test_missing_index_is_reported_then_built(tmp_path, st_model):
    folder = tmp_path / "index"
    with pytest.raises(IndexProblem, match="no index"):
        load_index(folder, SMALL_PLAN, IndexSettings())
    reasons = []
    index = open_index(folder, SMALL_PLAN, IndexSettings(), on_build=reasons.append, model=st_model)
    assert reasons == [f"no index at {folder}"] and index.passages
    assert folder.is_symlink()  # readers always see a complete folder


def test_stale_index_is_rebuilt_by_open_index(tmp_path, st_model):
    folder = tmp_path / "index"
    open_index(folder, SMALL_PLAN, IndexSettings(), model=st_model)
    reasons = []
    settings = replace(IndexSettings(), chunk=ChunkParams(size=120))
    index = open_index(folder, SMALL_PLAN, settings, on_build=reasons.append, model=st_model)
    assert "stale" in reasons[0] and index.manifest["chunk"]["size"] == 120
    assert len(list(tmp_path.glob(".index-*"))) == 1  # the old folder was removed after the swap


def test_index_built_by_other_parsing_code_is_stale(small_index, monkeypatch):
    monkeypatch.setattr("index.store.pipeline_version", lambda: "edited-code")
    with pytest.raises(IndexProblem, match="stale: pipeline"):
        load_index(small_index, SMALL_PLAN, IndexSettings())


def test_fresh_index_opens_without_the_build_lock(small_index, monkeypatch):
    """So an index shipped in a read-only folder can be served; only a build needs the lock."""
    def no_lock(_):
        raise AssertionError("the build lock was taken")

    monkeypatch.setattr("index.store._lock", no_lock)
    assert open_index(small_index, SMALL_PLAN, IndexSettings()).passages
