"""Retrieval metrics over gold items: the DESIGN's hit rule, recall@k, MRR@10, section recall and
the no-answer decision, overall and by language and type.

>>> is_hit("abc 第一章 目标", 4, 10, ("第一章目标",))
True
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from eval.gold import GoldItem, strip_ws
from index.schema import Passage
from qa.answer import Signals

RECALL_AT = (1, 5, 10)


@dataclass(frozen=True)
class ItemResult:
    """How one gold item fared: the rank of its first hit (None: no hit in the list), and so on."""

    item: GoldItem
    first_hit: int | None
    first_section_hit: int | None
    predicted_answerable: bool
    latency_ms: float
    cited: tuple[str, ...]  # section paths of the top passages, best first
    signals: Signals = Signals()  # what the answerability decision looked at
    highlight: str = ""  # the first hit's highlighted sentence ("" when there is no hit)

    @property
    def highlight_on_evidence(self) -> bool | None:
        """Whether the first hit's highlight is on the evidence (None: no hit, or no highlight kept)."""
        return on_evidence(self.highlight, self.item.evidence) if self.highlight else None


def is_hit(source: str, start: int, end: int, evidence: tuple[str, ...]) -> bool:
    """The hit rule: the cited span, whitespace removed, contains an evidence span (whitespace removed)."""
    cited = strip_ws(source[start:end])
    return any(strip_ws(e) and strip_ws(e) in cited for e in evidence)


def is_section_hit(passage: Passage, section: str) -> bool:
    """The passage's heading path ends in the last heading of the gold ``section``."""
    last = strip_ws(section.split(" > ")[-1]) if section else ""
    return bool(last) and strip_ws(passage.path[-1]) == last


def on_evidence(highlight: str, evidence: tuple[str, ...]) -> bool:
    """Whether a highlighted sentence is the answer: it shares with an evidence span a run of at least
    half the shorter one's characters (whitespace and table bars removed).

    >>> evidence = ("森林覆盖率达到26%",)
    >>> on_evidence("到2025年，森林覆盖率达到26%。", evidence), on_evidence("推进林业建设。", evidence)
    (True, False)
    """
    # a table row's cells are joined by bars, which its evidence leaves out
    h = strip_ws(highlight).replace("|", "")
    for e in (strip_ws(e).replace("|", "") for e in evidence):
        run = SequenceMatcher(None, h, e, autojunk=False).find_longest_match(0, len(h), 0, len(e)).size
        if h and e and run >= min(len(h), len(e)) / 2:
            return True
    return False


def first_rank(flags: list[bool]) -> int | None:
    return next((r + 1 for r, f in enumerate(flags) if f), None)


def score_item(source: str, item: GoldItem, passages: list[Passage], predicted_answerable: bool,
               latency_ms: float, signals: Signals = Signals(), highlights: list[str] | None = None) -> ItemResult:
    hits = [is_hit(source, p.start, p.end, item.evidence) for p in passages]
    sections = [is_section_hit(p, item.section) for p in passages]
    first = first_rank(hits)
    highlight = highlights[first - 1] if highlights and first else ""
    return ItemResult(item, first, first_rank(sections), predicted_answerable, latency_ms,
                      tuple(p.section_path for p in passages), signals, highlight)


def metrics(results: list[ItemResult]) -> dict:
    """The metric keys of ``planqa eval --json`` for these results (None where a slice has no items)."""
    answerable = [r for r in results if r.item.answerable]
    out: dict = {"n": len(results), "n_answerable": len(answerable)}
    for k in RECALL_AT:
        out[f"recall@{k}"] = _mean([r.first_hit is not None and r.first_hit <= k for r in answerable])
    out["mrr@10"] = _mean([1 / r.first_hit if r.first_hit and r.first_hit <= 10 else 0.0 for r in answerable])
    out["section_recall@5"] = _mean([r.first_section_hit is not None and r.first_section_hit <= 5
                                     for r in answerable])
    # of the answers found, the share whose first hit highlights the answering sentence
    out["highlight_on_evidence"] = _mean([r.highlight_on_evidence for r in answerable
                                          if r.highlight_on_evidence is not None])
    said_no = [r for r in results if not r.predicted_answerable]
    truly_no = [r for r in results if not r.item.answerable]
    out["noanswer_precision"] = _mean([not r.item.answerable for r in said_no]) if truly_no or said_no else None
    out["noanswer_recall"] = _mean([not r.predicted_answerable for r in truly_no])
    latencies = np.array([r.latency_ms for r in results]) if results else np.zeros(1)
    out["latency_ms_p50"] = round(float(np.percentile(latencies, 50)), 2)
    out["latency_ms_p95"] = round(float(np.percentile(latencies, 95)), 2)
    return out


def report(results: list[ItemResult]) -> dict:
    """Overall metrics plus the ``by_lang`` and ``by_type`` breakdowns."""
    out = metrics(results)
    for key, attr in (("by_lang", "lang"), ("by_type", "type")):
        groups = sorted({getattr(r.item, attr) for r in results})
        out[key] = {g: metrics([r for r in results if getattr(r.item, attr) == g]) for g in groups}
    return out


def _mean(flags: list) -> float | None:
    # 6 places, so a table printing 3 rounds once: 14/41 is .341, where .3415 would print .342
    return round(float(np.mean(flags)), 6) if flags else None
