"""The eval runner: ask every gold question through :func:`qa.answer.answer` and score the answers.

>>> results = run(engine, load_gold(Path("eval/gold/dev.jsonl")), mode="hybrid")  # doctest: +SKIP
>>> report(results)["recall@5"]                                                   # doctest: +SKIP
"""
from __future__ import annotations

import time

from eval.gold import GoldItem
from eval.metrics import ItemResult, score_item
from qa.answer import answer
from qa.engine import Engine
from qa.retrieve import Mode


def run(engine: Engine, items: list[GoldItem], mode: Mode | str = Mode.HYBRID, k: int = 10) -> list[ItemResult]:
    """Score every item; each item's latency is that of the whole ``answer`` call."""
    results = []
    for item in items:
        t = time.perf_counter()
        ans = answer(engine.retriever, item.question, k=max(k, 10), mode=mode)
        ms = (time.perf_counter() - t) * 1000
        passages = [h.passage for h in ans.hits]
        results.append(score_item(engine.source, item, passages, ans.answerable, ms, ans.signals, ans.highlights))
    return results
