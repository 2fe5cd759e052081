"""Retrieval: score every passage for a question, densely, lexically or both, and rank them.

>>> retriever = Retriever(index, load_query_encoder())          # doctest: +SKIP
>>> hits = retriever.search("到2025年森林覆盖率目标是多少", k=5)  # doctest: +SKIP
>>> hits[0].passage.section_path                                # doctest: +SKIP
'第一章 开启全面建设社会主义现代化新乡新征程 > 第五节 发展目标 > （二）… > 主要指标表'
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

import numpy as np

from index.lexical import bm25_scores, normalize, nouns, query_tokens, sentences, tokenize
from index.schema import Passage
from index.store import Index


class Mode(str, Enum):
    HYBRID = "hybrid"
    DENSE = "dense"
    BM25 = "bm25"


class JoinMode(str, Enum):
    CONVEX = "convex"  # w * dense + (1 - w) * bm25, each min-max normalised over the passages
    RRF = "rrf"  # w / (k + dense rank) + (1 - w) / (k + bm25 rank), ranks from 1


@dataclass(frozen=True)
class Fusion:
    """How the dense and lexical scores are fused into one ranking (weights set on the dev set)."""

    mode: JoinMode = JoinMode.CONVEX
    dense_weight: float = 0.7
    k: int = 60  # RRF only
    # Added to the fused score of the top passages: the share of the question's tokens that their
    # best single sentence holds. A passage whose one sentence answers beats one that spreads the
    # words over several (measured on the dev set: zh recall@1 0.88 → 0.90).
    sentence_weight: float = 0.2
    sentence_top: int = 10


@dataclass(frozen=True)
class Highlighting:
    """How the sentence to highlight is chosen among those sharing most of the question's tokens
    (each rule measured in eval/ablation.md)."""

    # a heading line counts only when no other sentence shares a token
    pass_over_headings: bool = True
    # a lead phrase (大力推进高标准农田建设。) loses a tie to a sentence that says more
    leads_lose_ties: bool = True
    # a token counts as often as the question holds it: "“三带三区两城十镇”里的三区…" asks for 三区
    count_repeats: bool = True


@dataclass(frozen=True)
class Hit:
    """A passage retrieved for a question, with its fused score and the two signals behind it."""

    passage: Passage
    rank: int
    score: float
    dense: float
    bm25: float


@dataclass(frozen=True)
class Scores:
    """Every passage's scores for one question (arrays aligned with ``index.passages``)."""

    dense: np.ndarray
    bm25: np.ndarray
    fused: np.ndarray
    counts: Counter[str]  # the question's lexical tokens (glossary terms included), each with how often

    @cached_property
    def tokens(self) -> frozenset[str]:
        return frozenset(self.counts)


class Retriever:
    """Holds the loaded index and question encoder; answers many questions without reloading either."""

    def __init__(self, index: Index, encode: Callable[[list[str]], np.ndarray], fusion: Fusion = Fusion(),
                 highlighting: Highlighting = Highlighting()):
        self.index = index
        self.encode = encode  # question texts -> unit vectors (see index.model.load_query_encoder)
        self.fusion = fusion
        self.highlighting = highlighting
        self.chapters = np.array([p.path[0] for p in index.passages])
        self.chapter_headings = [s.title for s in index.sections if s.kind == "chapter"]  # in the plan's order
        # The passage that opens each chapter (its heading and first lines): where "which chapter" lands.
        self.chapter_heads = np.array([_opens_chapter(p, index) for p in index.passages])
        self.position = {p.id: i for i, p in enumerate(index.passages)}
        mode = index.manifest["tokenizer"]
        self.sentences = [sentences(p.text) or [""] for p in index.passages]
        self.sentence_tokens = [[set(tokenize(s, mode)) for s in ss] for ss in self.sentences]
        self.passage_tokens = [set().union(*ts) for ts in self.sentence_tokens]
        # a heading repeated atop its passage ("专栏3-4：…", "第六节 …") names a topic, seldom the answer
        self.heading_lines = [[_squash(s) in {_squash(h) for h in p.path} for s in ss]
                              for p, ss in zip(index.passages, self.sentences)]
        self.lead_lines = [[_is_lead(s) and not head for s, head in zip(ss, heads)]
                           for ss, heads in zip(self.sentences, self.heading_lines)]
        self.plan_text = _squash(normalize("\n".join(p.text for p in index.passages)))

    def scores(self, question: str, mode: Mode = Mode.HYBRID) -> Scores:
        n = len(self.index.passages)
        dense = np.zeros(n, dtype=np.float32)
        lexical = np.zeros(n, dtype=np.float32)
        if mode in (Mode.DENSE, Mode.HYBRID):
            q = self.encode([question])
            dense = _search_all(self.index.vectors, q)
        tokens = query_tokens(question, self.index.manifest["tokenizer"], self.index.glossary)
        if mode in (Mode.BM25, Mode.HYBRID):
            lexical = bm25_scores(self.index.bm25, tokens)
        fused = {Mode.DENSE: dense, Mode.BM25: lexical}.get(mode)
        if fused is None:
            fused = self._sentence_bonus(fuse(dense, lexical, self.fusion), set(tokens))
        if ASKS_FOR_CHAPTER.search(question):
            fused = self._chapters_first(fused)
        return Scores(dense, lexical, fused, Counter(tokens))

    def best_sentence(self, passage: Passage, tokens: set[str] | frozenset[str]) -> tuple[str, int]:
        """The passage's sentence sharing most of ``tokens`` (the first on a tie), and how many it shares."""
        i = self.position[passage.id]
        overlaps = [len(tokens & t) for t in self.sentence_tokens[i]]
        best = int(np.argmax(overlaps))
        return self.sentences[i][best], overlaps[best]

    def answering_sentence(self, passage: Passage, counts: Counter[str], headings: bool = False) -> str:
        """The sentence to highlight: the one sharing most of the question's tokens (``counts``, each
        with how often the question holds it), but read as a person would.

        A question names its topic, which a heading line repeats while the answer lies below it: a
        heading counts only when no other sentence shares a token, or when ``headings`` (a
        which-chapter question is answered by one). A lead phrase (大力推进高标准农田建设。) loses a
        tie to a sentence that says more; among the rest the first wins. See :class:`Highlighting`.
        """
        i = self.position[passage.id]
        rules = self.highlighting
        weight = counts if rules.count_repeats else dict.fromkeys(counts, 1)
        shared = [sum(weight[t] for t in counts.keys() & ts) for ts in self.sentence_tokens[i]]
        heads = self.heading_lines[i]
        if rules.pass_over_headings and not headings and any(n for n, h in zip(shared, heads) if not h):
            shared = [-1 if h else n for n, h in zip(shared, heads)]
        leads = self.lead_lines[i] if rules.leads_lose_ties else [False] * len(shared)
        best = max(range(len(shared)), key=lambda j: (shared[j], not leads[j], -j))
        return self.sentences[i][best]

    def coverage(self, passage: Passage, tokens: set[str] | frozenset[str]) -> float:
        """Share of ``tokens`` (a question's) that the passage holds; 0 when there are none."""
        return len(tokens & self.passage_tokens[self.position[passage.id]]) / len(tokens) if tokens else 0.0

    def unknown_nouns(self, question: str) -> tuple[str, ...]:
        """The question's nouns that no passage of the plan contains ("洛阳市" in a question on Luoyang)."""
        return tuple(w for w in nouns(question) if w not in self.plan_text)

    def _sentence_bonus(self, fused: np.ndarray, tokens: set[str]) -> np.ndarray:
        if not tokens or not self.fusion.sentence_weight:
            return fused
        out = fused.copy()
        for i in np.argsort(-fused)[:self.fusion.sentence_top]:
            shared = self.best_sentence(self.index.passages[i], tokens)[1]
            out[i] += self.fusion.sentence_weight * shared / len(tokens)
        return out

    def _chapters_first(self, fused: np.ndarray) -> np.ndarray:
        """For a "which chapter" question: chapter openings first, ordered by their chapter's best passage."""
        out = fused.copy()
        for i in np.flatnonzero(self.chapter_heads):
            out[i] = 1.0 + fused[self.chapters == self.chapters[i]].max()
        return out

    def search(self, question: str, k: int = 5, mode: Mode = Mode.HYBRID, chapter: str | None = None) -> list[Hit]:
        """The ``k`` best passages, best first; ``chapter`` limits the search to one chapter's passages."""
        return self.rank(self.scores(question, Mode(mode)), k, chapter)

    def rank(self, s: Scores, k: int, chapter: str | None = None) -> list[Hit]:
        """The ``k`` best passages by ``s.fused``, best first."""
        fused = s.fused.copy()
        if chapter:
            fused[self.chapters != chapter] = -np.inf
        order = np.argsort(-fused, kind="stable")[:k]
        return [Hit(self.index.passages[i], r + 1, float(fused[i]), float(s.dense[i]), float(s.bm25[i]))
                for r, i in enumerate(order) if np.isfinite(fused[i])]


ASKS_FOR_CHAPTER = re.compile(r"哪一?章|第几章|什么章|which chapter|what chapter", re.IGNORECASE)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# A lead phrase opens a paragraph by naming its subject: short, with no comma or colon ("提高传统产业
# 层次水平。"). 16 characters: 12-20 tie on dev, 14-16 are best on extra (both sets were looked at).
LEAD_CHARS = 16


def _is_lead(sentence: str) -> bool:
    return len(sentence) <= LEAD_CHARS and not re.search(r"[，,：:]", sentence)


def _opens_chapter(p: Passage, index: Index) -> bool:
    section = index.by_id.get(p.section_id)
    return bool(section and section.kind == "chapter" and section.heading and p.start == section.heading.start)


def _search_all(vectors, q: np.ndarray) -> np.ndarray:
    """Inner product of the query with every stored vector (FAISS flat search over all of them)."""
    n = vectors.ntotal
    sims, ids = vectors.search(np.ascontiguousarray(q, dtype=np.float32), n)
    out = np.empty(n, dtype=np.float32)
    out[ids[0]] = sims[0]
    return out


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every entry, highest score first."""
    r = np.empty(len(scores), dtype=np.int64)
    r[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return r


def minmax(scores: np.ndarray) -> np.ndarray:
    lo, hi = float(scores.min()), float(scores.max())
    return (scores - lo) / (hi - lo) if hi > lo else np.zeros_like(scores)


def fuse(dense: np.ndarray, lexical: np.ndarray, fusion: Fusion) -> np.ndarray:
    """One score per passage from both signals; a lexical list with no signal (all zeros) does not vote."""
    w = fusion.dense_weight if lexical.any() else 1.0
    if fusion.mode == JoinMode.RRF:
        return w / (fusion.k + ranks(dense)) + (1 - w) / (fusion.k + ranks(lexical))
    return w * minmax(dense) + (1 - w) * minmax(lexical)
