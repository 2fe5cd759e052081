"""Regression floors: the committed eval/baseline.json and the check the test suite runs against it.

``python -m eval.baseline`` measures the hybrid retriever on every gold set and writes the floors
(measured value minus :data:`MARGIN`); a floor only ever goes up, so a change that trades one
metric for another cannot loosen the one it lowers. Run it when a change improves the metrics; a
change that lowers one below its floor fails ``tests/test_regression.py``.
"""
from __future__ import annotations

import json
import sys

from eval.gold import load_gold
from eval.metrics import report
from eval.run import run
from index.paths import PROJECT_ROOT

BASELINE = PROJECT_ROOT / "eval" / "baseline.json"
GOLD_SETS = {"dev": "eval/gold/dev.jsonl", "extra": "eval/gold/extra.jsonl"}
MARGIN = 0.02
KEYS = ("recall@1", "recall@5", "mrr@10", "section_recall@5", "highlight_on_evidence", "noanswer_precision",
        "noanswer_recall")


def measure(engine, gold: str) -> dict[str, float]:
    """The tracked metrics of the hybrid retriever on one gold set, overall and per language."""
    metrics = report(run(engine, load_gold(PROJECT_ROOT / gold, engine.source), mode="hybrid"))
    out = {k: metrics[k] for k in KEYS}
    for lang, m in metrics["by_lang"].items():
        out[f"{lang}:recall@1"] = m["recall@1"]
        out[f"{lang}:recall@5"] = m["recall@5"]
        out[f"{lang}:mrr@10"] = m["mrr@10"]
    return out


def below_floor(measured: dict[str, float], floors: dict[str, float]) -> list[str]:
    """Each metric that fell under its floor, as 'metric measured < floor'."""
    return [f"{k} {measured.get(k)} < {floor}" for k, floor in floors.items()
            if measured.get(k) is None or measured[k] < floor]


def raised_floors(measured: dict[str, float], old: dict[str, float]) -> dict[str, float]:
    """Each metric's floor: measured minus :data:`MARGIN`, but never under its ``old`` floor.

    >>> raised_floors({"recall@1": 0.90, "en:mrr@10": 0.65}, {"en:mrr@10": 0.66})
    {'recall@1': 0.88, 'en:mrr@10': 0.66}
    """
    return {k: max(round(v - MARGIN, 4), old.get(k, 0.0)) for k, v in measured.items()}


def main() -> int:
    from qa.engine import open_engine

    engine = open_engine()
    previous = json.loads(BASELINE.read_text())["sets"] if BASELINE.exists() else {}
    sets = {}
    for name, gold in GOLD_SETS.items():
        measured = measure(engine, gold)
        old = previous.get(name, {}).get("floors", {})
        sets[name] = {"gold": gold, "measured": measured, "floors": raised_floors(measured, old)}
    BASELINE.write_text(json.dumps({"retriever": "hybrid", "margin": MARGIN, "sets": sets}, indent=2) + "\n")
    print(json.dumps(sets, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
