"""A learned reranker, measured by cross-validation: the lever the product did not take.

Logistic regression scores each question's top candidates (by the product's fusion) from features
the fusion already has: both scores normalised, the gap to the best, the best sentence's share of
the question, coverage, the heading path's share, the passage kind and length, the rank, and the
two scores again for English questions (whose dense side is weaker). It is trained on some
questions and judged on others (folds by question, and one gold set against the other). On both
gold sets its held-out folds did not beat the hand-set fusion, so :mod:`qa.retrieve` keeps the
fusion; the ablation (``python -m eval.ablation``) reruns this measurement.

>>> rows = cross_validate(engine, gold)        # doctest: +SKIP
>>> report(rows["5-fold"]["extra"])["recall@1"]  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from eval.gold import GoldItem
from eval.metrics import ItemResult, is_hit, score_item
from index.lexical import tokenize
from qa.engine import Engine
from qa.retrieve import minmax

CANDIDATES = 30  # reranked: the fusion's top passages for each question
FOLDS = 5


@dataclass(frozen=True)
class Candidates:
    """One question's top passages (indices into ``index.passages``), their features and labels."""

    item: GoldItem
    order: np.ndarray  # passage indices, the fusion's order
    features: np.ndarray  # one row per candidate
    labels: np.ndarray  # the hit rule, per candidate


def candidates(engine: Engine, item: GoldItem, n: int = CANDIDATES) -> Candidates:
    r = engine.retriever
    s = r.scores(item.question)
    tokens = set(s.tokens)
    share = 1 / max(1, len(tokens))
    order = np.argsort(-s.fused, kind="stable")[:n]
    dense, lexical = minmax(s.dense), minmax(s.bm25)
    english = float(item.lang == "en")
    mode = r.index.manifest["tokenizer"]
    rows, labels = [], []
    for rank, i in enumerate(order):
        p = r.index.passages[i]
        rows.append([dense[i], lexical[i], s.dense[i] - s.dense.max(), r.best_sentence(p, tokens)[1] * share,
                     len(tokens & r.passage_tokens[i]) * share, len(tokens & _heading(p.path, mode)) * share,
                     float(p.kind == "row"), float(p.kind == "heading"), np.log(len(p.text)),
                     s.fused[i] - s.fused[order[0]], english * dense[i], english * lexical[i], 1 / (rank + 1)])
        labels.append(is_hit(engine.source, p.start, p.end, item.evidence))
    return Candidates(item, order, np.array(rows, dtype=np.float64), np.array(labels))


@lru_cache(maxsize=None)
def _heading(path: tuple[str, ...], mode: str) -> frozenset[str]:
    return frozenset(tokenize(" ".join(path), mode))


def fit(train: list[Candidates], c: float = 1.0):
    """A logistic regression over the candidates' features (hits against the rest, classes balanced)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([t.features for t in train])
    y = np.concatenate([t.labels for t in train])
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)


def reranked(engine: Engine, model, c: Candidates) -> ItemResult:
    """How the item fares when its candidates are ordered by ``model`` (answerability not re-decided)."""
    order = c.order[np.argsort(-model.decision_function(c.features), kind="stable")]
    passages = [engine.retriever.index.passages[i] for i in order]
    return score_item(engine.source, c.item, passages, predicted_answerable=True, latency_ms=0.0)


def folds(n: int, k: int = FOLDS, seed: int = 0) -> list[np.ndarray]:
    """``k`` disjoint held-out folds of ``range(n)`` covering it, in a seeded random order."""
    return np.array_split(np.random.default_rng(seed).permutation(n), k)


def cross_validate(engine: Engine, gold: dict[str, list[GoldItem]]) -> dict[str, dict[str, list[ItemResult]]]:
    """Held-out results of the learned reranker, by scheme and gold set.

    ``"5-fold"`` (:data:`FOLDS`): every answerable item of every set scored by a model that did not see it;
    ``"other set"``: each set scored by a model trained on the other sets.
    """
    cands = {name: [candidates(engine, it) for it in items if it.answerable] for name, items in gold.items()}
    pool = [(name, c) for name, cs in cands.items() for c in cs]
    kfold = f"{FOLDS}-fold"
    out: dict[str, dict[str, list[ItemResult]]] = {kfold: {n: [] for n in gold}, "other set": {}}
    for held in folds(len(pool)):
        held_set = set(held.tolist())
        model = fit([c for i, (_, c) in enumerate(pool) if i not in held_set])
        for i in held:
            name, c = pool[i]
            out[kfold][name].append(reranked(engine, model, c))
    for name in gold:
        model = fit([c for other, cs in cands.items() if other != name for c in cs])
        out["other set"][name] = [reranked(engine, model, c) for c in cands[name]]
    return out
