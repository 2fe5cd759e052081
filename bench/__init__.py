"""Reproducible numbers for planqa: ``make bench`` (:mod:`bench.run`) and ``make loadtest``
(:mod:`bench.loadtest`). Both write their results under ``bench/results/``.

This module holds what both need: the dev questions, latency percentiles and the results folder.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.paths import PROJECT_ROOT

DEV_GOLD = PROJECT_ROOT / "eval" / "gold" / "dev.jsonl"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def dev_questions() -> list[str]:
    """The questions of the dev gold set, in file order."""
    from eval.gold import load_gold

    return [item.question for item in load_gold(DEV_GOLD)]


def latency_ms(seconds: list[float]) -> dict:
    """Median, p95 and p99 of ``seconds``, in milliseconds (None for an empty list)."""
    if not seconds:
        return {"n": 0, "p50": None, "p95": None, "p99": None}
    p50, p95, p99 = np.percentile(np.asarray(seconds) * 1000, [50, 95, 99])
    return {"n": len(seconds), "p50": round(float(p50), 2), "p95": round(float(p95), 2), "p99": round(float(p99), 2)}


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a running process (Linux ``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line")


def write_result(name: str, content: dict | str) -> Path:
    """Write ``content`` (a dict as JSON) to ``bench/results/NAME`` atomically: a reader never sees
    half a file."""
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=2) + "\n"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
