"""The learned reranker's measurement: held-out folds, candidates that match the fusion, ordering by the model."""
from __future__ import annotations

import numpy as np
import pytest

from eval.baseline import GOLD_SETS
from eval.gold import load_gold
from eval.ranker import candidates, fit, folds, reranked
from eval.run import run
from index.paths import PROJECT_ROOT


def test_folds_hold_every_item_out_exactly_once():
    parts = folds(23, k=5)
    assert len(parts) == 5 and sorted(np.concatenate(parts).tolist()) == list(range(23))
    assert folds(23, k=5)[0].tolist() == parts[0].tolist()  # the same split on every run


@pytest.fixture(scope="module")
def dev(engine):
    items = [it for it in load_gold(PROJECT_ROOT / GOLD_SETS["dev"], engine.source) if it.answerable]
    return items[:12]


def test_candidates_are_the_fusions_top_passages_labelled_by_the_hit_rule(engine, dev):
    for item, result in zip(dev, run(engine, dev)):
        c = candidates(engine, item)
        assert np.isfinite(c.features).all() and len(c.features) == len(c.order) == len(c.labels)
        assert engine.retriever.index.passages[c.order[0]] == engine.retriever.search(item.question, k=1)[0].passage
        in_top = result.first_hit is not None and result.first_hit <= len(c.order)
        assert (int(np.argmax(c.labels)) + 1 if c.labels.any() else None) == (result.first_hit if in_top else None)


class _ByColumn:
    """A stand-in model that scores candidates by one feature column."""

    def __init__(self, column: int):
        self.column = column

    def decision_function(self, x):
        return x[:, self.column]


def test_reranking_follows_the_model(engine, dev):
    cs = [candidates(engine, it) for it in dev]
    # the last feature is 1 / rank: ordering by it keeps the fusion's ranks
    assert [reranked(engine, _ByColumn(-1), c).first_hit for c in cs] == [r.first_hit for r in run(engine, dev)]


def test_the_fitted_model_separates_hits_from_the_other_candidates(engine, dev):
    from sklearn.metrics import roc_auc_score

    cs = [candidates(engine, it) for it in dev]
    x, y = np.vstack([c.features for c in cs]), np.concatenate([c.labels for c in cs])
    # in-sample, so nearly perfect (labels moved to other candidates give about 0.66)
    assert roc_auc_score(y, fit(cs).decision_function(x)) > 0.9
