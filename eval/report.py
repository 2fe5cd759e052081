"""The eval report a maintainer reads before merging: Markdown plus PNG plots.

Recall@k curves per retriever, bars per question type and language, the no-answer
precision/recall curve, and the misses (question, expected section, top-3 cited sections).

>>> write_report(Path("report"), "dev.jsonl", {"hybrid": results, "bm25": ...})  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from eval.metrics import ItemResult, report
from qa.answer import Answerability

KS = tuple(range(1, 11))


def recall_curve(results: list[ItemResult]) -> list[float]:
    answerable = [r for r in results if r.item.answerable]
    return [float(np.mean([r.first_hit is not None and r.first_hit <= k for r in answerable])) for k in KS]


def noanswer_curve(results: list[ItemResult], base: Answerability = Answerability()) -> list[tuple[float, float, float]]:
    """(scale, precision, recall) of "not in the plan" as all thresholds are scaled together.

    The nouns the plan lacks are looked up only below the margin threshold, so a scale above 1
    sees none where the margin was higher; the curve there is a lower bound on recall.
    """
    truly_no = np.array([not r.item.answerable for r in results])
    out = []
    for scale in np.linspace(0.0, 3.0, 31):
        english = None if base.min_margin_english is None else base.min_margin_english * scale
        scaled = replace(base, min_margin=base.min_margin * scale, min_margin_english=english,
                         min_coverage=base.min_coverage * scale, min_coverage_unknown=base.min_coverage_unknown * scale)
        said_no = np.array([not scaled.decide(r.signals) for r in results])
        tp = int((said_no & truly_no).sum())
        precision = tp / said_no.sum() if said_no.any() else 1.0
        out.append((float(scale), float(precision), tp / max(int(truly_no.sum()), 1)))
    return out


def write_report(folder: Path, gold_name: str, runs: dict[str, list[ItemResult]]) -> Path:
    """Write ``report.md`` and its plots into ``folder``; return the Markdown file's path."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    summaries = {name: report(results) for name, results in runs.items()}
    main = "hybrid" if "hybrid" in runs else next(iter(runs))

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, results in runs.items():
        ax.plot(KS, recall_curve(results), marker="o", label=name)
    ax.set(xlabel="k", ylabel="recall@k", title=f"Recall@k — {gold_name}", ylim=(0, 1.02))
    ax.legend(), ax.grid(alpha=0.3)
    _save(fig, folder / "recall_at_k.png")

    for key, title in (("by_type", "question type"), ("by_lang", "language")):
        groups = sorted(summaries[main][key])
        fig, ax = plt.subplots(figsize=(max(6, len(groups) * 0.8), 4))
        width = 0.8 / len(runs)
        for n, name in enumerate(runs):
            values = [summaries[name][key][g]["recall@5"] or 0 for g in groups]
            ax.bar(np.arange(len(groups)) + n * width, values, width, label=name)
        ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2, groups, rotation=30)
        ax.set(ylabel="recall@5", title=f"Recall@5 by {title}", ylim=(0, 1.05))
        ax.legend()
        _save(fig, folder / f"recall_{key}.png")

    curve = noanswer_curve(runs[main])
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([c[2] for c in curve], [c[1] for c in curve], marker=".")
    ax.plot([curve[10][2]], [curve[10][1]], "ro", label="chosen thresholds")
    ax.set(xlabel="no-answer recall", ylabel="no-answer precision", title="“Not in the plan” decision",
           xlim=(0, 1.02), ylim=(0, 1.02))
    ax.legend(), ax.grid(alpha=0.3)
    _save(fig, folder / "noanswer_pr.png")

    path = folder / "report.md"
    path.write_text(_markdown(gold_name, summaries, runs[main], main), encoding="utf-8")
    return path


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    fig.clf()


# The metrics of the comparison table, with their column headings.
METRICS = {"recall@1": "R@1", "recall@5": "R@5", "recall@10": "R@10", "mrr@10": "MRR@10",
           "section_recall@5": "section R@5", "highlight_on_evidence": "highlight on evidence",
           "noanswer_precision": "no-answer P", "noanswer_recall": "no-answer R",
           "latency_ms_p50": "p50 ms", "latency_ms_p95": "p95 ms"}


def comparison_table(summaries: dict[str, dict]) -> str:
    """A Markdown table: one row per retriever, overall and for zh and en apart."""
    head = ["retriever", *METRICS.values(), "zh R@1", "zh MRR@10", "en R@5", "en MRR@10"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, m in summaries.items():
        langs = m.get("by_lang", {})
        extra = [langs.get("zh", {}).get("recall@1"), langs.get("zh", {}).get("mrr@10"),
                 langs.get("en", {}).get("recall@5"), langs.get("en", {}).get("mrr@10")]
        lines.append("| " + " | ".join([name, *(_fmt(m[k]) for k in METRICS), *map(_fmt, extra)]) + " |")
    return "\n".join(lines)


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _markdown(gold_name: str, summaries: dict[str, dict], main_results: list[ItemResult], main: str) -> str:
    misses = [r for r in main_results if r.item.answerable and (r.first_hit is None or r.first_hit > 1)]
    wrong_no = [r for r in main_results if r.predicted_answerable != r.item.answerable]
    lines = [f"# Retrieval report — {gold_name}", "",
             f"{summaries[main]['n']} items ({summaries[main]['n_answerable']} answerable).", "",
             comparison_table(summaries), "",
             "![recall@k](recall_at_k.png) ![by type](recall_by_type.png) ![by language](recall_by_lang.png)", "",
             "![no-answer precision/recall](noanswer_pr.png)", "",
             f"## Misses of `{main}` (no hit at rank 1)", "",
             "| id | question | expected section | first hit | top-3 cited sections |", "|---|---|---|---|---|"]
    for r in misses:
        cited = "<br>".join(_cell(c) for c in r.cited[:3])
        lines.append(f"| {r.item.id} | {_cell(r.item.question)} | {_cell(r.item.section)} | "
                     f"{r.first_hit or '–'} | {cited} |")
    lines += ["", f"## Wrong answerability decisions of `{main}`", "",
              "| id | question | truly answerable | English rule | dense margin | coverage | nouns not in the plan "
              "| count asked, not given |", "|---|---|---|---|---|---|---|---|"]
    for r in wrong_no:
        s = r.signals
        nouns = "、".join(s.named + tuple(f"{w} (everyday)" for w in s.common))
        lines.append(f"| {r.item.id} | {_cell(r.item.question)} | {r.item.answerable} | {'yes' if s.english else 'no'} | "
                     f"{s.margin:.3f} | {s.coverage:.2f} | {_cell(nouns) or '–'} | {s.missing_count or '–'} |")
    off = [r for r in main_results if r.highlight_on_evidence is False]
    lines += ["", f"## Highlights of `{main}` off the evidence (in the first passage that holds it)", "",
              "| id | question | highlighted | evidence |", "|---|---|---|---|"]
    for r in off:
        lines.append(f"| {r.item.id} | {_cell(r.item.question)} | {_cell(r.highlight)} | {_cell(r.item.evidence[0])} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
