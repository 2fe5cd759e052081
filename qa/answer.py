"""Answers: the cited passages for a question, the sentence of each that answers best, and whether
the plan answers the question at all.

>>> result = answer(retriever, "到2025年森林覆盖率目标是多少")     # doctest: +SKIP
>>> result.answerable, result.hits[0].passage.section_path        # doctest: +SKIP
(True, '第一章 … > 主要指标表')
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from index.lexical import has_chinese, is_common, normalize
from qa.retrieve import ASKS_FOR_CHAPTER, Hit, Mode, Retriever

MAX_QUESTION_CHARS = 1000
MAX_K = 50  # passages one answer may list


class QuestionError(ValueError):
    """A question that cannot be asked; the message says why, in one line."""


@dataclass(frozen=True)
class Signals:
    """What the answerability decision looks at, kept with the answer for the eval report."""

    margin: float = 0.0  # best dense similarity minus the 11th best
    coverage: float = 0.0  # share of the question's lexical tokens in the best passage (0 if none is Chinese)
    unknown: tuple[str, ...] = ()  # the question's nouns the plan never mentions (looked up when needed)
    missing_count: str = ""  # the measure word the question asks a count in, when no top passage gives one
    english: bool = False  # an English question the glossary reads (see asked_in_english): a dictionary's guess
    common: tuple[str, ...] = ()  # those of ``unknown`` that are everyday words (意思, 外地)

    @property
    def named(self) -> tuple[str, ...]:
        """The nouns the plan lacks that are names or terms (洛阳市, 起步价), not everyday words."""
        return tuple(w for w in self.unknown if w not in self.common)


@dataclass(frozen=True)
class Answerability:
    """When the plan is taken not to answer a question: the best passage stands out little from the
    rest on the dense side (its similarity exceeds the 11th best by under ``min_margin``) and holds
    under ``min_coverage`` of the question's lexical tokens, or under ``min_coverage_unknown`` when
    the question names something the plan never mentions (a noun such as 洛阳市 or 起步价 found
    nowhere in it). With ``ignore_common`` an everyday word the plan happens not to use (意思,
    外地) names nothing. A question that asks for a count in a measure word ("多少所高校",
    "门票多少钱") is not answered when none of the ``count_passages`` best passages gives a number
    in that word. Thresholds were chosen on the gold sets' unanswerable items; see the eval report's
    precision/recall curve.

    An English question reaches the plan's words only through a dictionary, whose wrong senses
    keep its coverage low whether or not the plan answers it. Judged as Chinese is, most answerable
    English questions were called unanswerable, so an English question needs a smaller margin,
    under ``min_margin_english`` (None: ``min_margin``). A false "not in the plan" costs more than
    a missed one (the target is precision ≥ 0.80 at recall ≥ 0.60); eval/ablation.md shows what
    each rule trades.
    """

    min_margin: float = 0.025
    min_margin_english: float | None = 0.012
    min_coverage: float = 0.25
    min_coverage_unknown: float = 0.6
    count_passages: int = 3
    check_count: bool = True
    ignore_common: bool = True

    def decide(self, s: Signals) -> bool:
        if self.check_count and s.missing_count:
            return False
        english = s.english and self.min_margin_english is not None
        if s.margin >= (self.min_margin_english if english else self.min_margin):
            return True
        named = s.named if self.ignore_common else s.unknown
        return s.coverage >= (self.min_coverage_unknown if named else self.min_coverage)


@dataclass(frozen=True)
class Answer:
    question: str
    answerable: bool
    hits: list[Hit]
    highlights: list[str]
    signals: Signals = Signals()

    def to_json(self) -> dict:
        """The shape ``planqa ask --json`` prints and the ``/ask`` endpoint returns."""
        return {
            "question": self.question,
            "answerable": self.answerable,
            "passages": [
                {"rank": h.rank, "score": round(h.score, 6), "section_path": h.passage.section_path,
                 "text": h.passage.text, "highlight": hl, "start": h.passage.start, "end": h.passage.end}
                for h, hl in zip(self.hits, self.highlights)
            ],
        }


def check_question(question: object, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """The question, cleaned, or :class:`QuestionError` saying what is wrong with it.

    Invisible format characters (right-to-left marks, zero-width spaces) are dropped; tabs and
    newlines become spaces; any other control character is refused.
    """
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    q = "".join(ch for ch in question if unicodedata.category(ch) != "Cf")
    q = re.sub(r"[\t\n\r\v\f]+", " ", q).strip()
    if not q:
        raise QuestionError("the question is empty")
    if len(q) > max_chars:
        raise QuestionError(f"the question is too long ({len(q)} characters; at most {max_chars})")
    bad = next((ch for ch in q if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")), None)
    if bad is not None:
        raise QuestionError(f"the question contains a control or unassigned character (U+{ord(bad):04X})")
    return q


def check_k(k: object) -> int:
    """``k``, the number of passages asked for, or :class:`QuestionError` if it is out of range."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise QuestionError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
    return k


def check_chapter(retriever: Retriever, chapter: object) -> str | None:
    """The heading of the chapter ``chapter`` names: its heading, its ordinal (第五章) or its number
    (5); None for the whole plan ("" or None); else :class:`QuestionError`.

    >>> check_chapter(retriever, "5") == check_chapter(retriever, "第五章") == "第五章 加快构建生态文明体系"  # doctest: +SKIP
    True
    """
    if chapter in ("", None):
        return None
    headings = retriever.chapter_headings
    name = str(chapter).strip() if isinstance(chapter, (str, int)) and not isinstance(chapter, bool) else None
    if name and name.isdecimal() and 1 <= int(name) <= len(headings):
        return headings[int(name) - 1]
    for heading in headings:
        if name in (heading, heading.split()[0]):
            return heading
    raise QuestionError(f"the plan has no chapter {str(chapter)[:40]!r}: give its number (1 to {len(headings)}), "
                        "its ordinal such as 第五章, or its heading")


def answer(retriever: Retriever, question: object, k: int = 5, mode: Mode | str = Mode.HYBRID,
           chapter: str | None = None, answerability: Answerability = Answerability()) -> Answer:
    """Retrieve, highlight and decide whether the plan answers ``question``."""
    check_k(k)
    q = check_question(question)
    scores = retriever.scores(q, Mode(mode))
    # the decision reads the same top passages whatever k the caller asked for
    top = retriever.rank(scores, max(k, answerability.count_passages), chapter)
    hits = top[:k]
    # a table row's answer is the row itself (its last line), never the title or header above it;
    # elsewhere a heading is the answer only to a which-chapter question
    headings = ASKS_FOR_CHAPTER.search(q) is not None
    highlights = [h.passage.text.rsplit("\n", 1)[-1] if h.passage.kind == "row"
                  else retriever.answering_sentence(h.passage, scores.counts, headings) for h in hits]
    margin = dense_margin(scores.dense)
    # digits and Latin letters alone ("1", "or") occur all over the plan: a question without one
    # Chinese token, its own or the glossary's, has no coverage to speak of
    chinese = any(map(has_chinese, scores.tokens))
    cover = retriever.coverage(hits[0].passage, scores.tokens) if hits and chinese else 0.0
    # jieba's tagger costs ~1 ms a question (and ~1 s to load): only asked when the margin leaves it open
    unknown = () if margin >= answerability.min_margin else retriever.unknown_nouns(q)
    unit = asked_unit(q)
    stated = any(states_count(h.passage.text, unit) for h in top[:answerability.count_passages])
    english = not has_chinese(q) and chinese and asked_in_english(q)
    signals = Signals(margin, cover, unknown, unit if unit and not stated else "", english=english,
                      common=tuple(filter(is_common, unknown)))
    return Answer(q, bool(hits) and answerability.decide(signals), hits, highlights, signals)


# A question word, a closing question mark or an opening request ("List the …", "Please explain …"):
# what a question has and markup, code or a keyword list has not.
_ENGLISH_QUESTION = re.compile(
    r"\b(?:what|which|how|when|where|who|whom|whose|why)\b|\?\s*$"
    r"|^\W*(?:please\s+)?(?:tell|list|show|explain|describe|give|find|name|outline|summari[sz]e)\b", re.IGNORECASE)


def asked_in_english(question: str) -> bool:
    """Whether ``question``, one without Chinese characters, is phrased as an English question.

    It is held to the English margin only if it is (see :class:`Answerability`); other text without
    Chinese (``<script>…``, ``'; DROP TABLE …``) is judged as Chinese is, and seldom answered.

    >>> asked_in_english("Which chapter covers rural revitalization"), asked_in_english("List the key projects")
    (True, True)
    >>> asked_in_english("'; DROP TABLE passages; --")
    False
    """
    return _ENGLISH_QUESTION.search(question) is not None


def dense_margin(dense: np.ndarray, behind: int = 10) -> float:
    """How far the best dense similarity stands above the ``behind``-th next one."""
    if len(dense) <= behind or not dense.any():
        return 0.0
    return float(dense.max() - np.sort(dense)[-behind - 1])


# A question after a count in a measure word: 多少所, 几家, 多少公里, 多少钱 ("哪几个" asks for a list).
ASKS_FOR_COUNT = re.compile(r"(?<!哪)(?:多少|几)(个|所|张|趟|家|名|人|座|条|项|公里|千米|米|亩|元|块钱|钱|岁|吨|辆|次)")
_MONEY = {"钱": "元", "块钱": "元"}
# Classifiers of counted things, for which the general classifier 个 may stand (1—2个示范性托育机构
# answers 几家); units of measure (公里, 元, 吨) have no such stand-in.
_CLASSIFIERS = frozenset("所张趟家名座条项辆")
_NUMBER = r"(?:[0-9.]+|[一二两三四五六七八九十百千]+)[万亿千百]?"


def asked_unit(question: str) -> str:
    """The measure word ``question`` asks a count in, or "" when it asks for none.

    >>> asked_unit("新乡一共有多少所普通高校"), asked_unit("门票多少钱"), asked_unit("哪几个县")
    ('所', '元', '')
    """
    m = ASKS_FOR_COUNT.search(normalize(question))
    return _MONEY.get(m.group(1), m.group(1)) if m else ""


def states_count(text: str, unit: str) -> bool:
    """Whether ``text`` gives a number in the measure word ``unit`` (150家, 三所, 2.5万元), or in 个
    when ``unit`` is a classifier of counted things.

    >>> states_count("培育创新研发平台150家以上", "家"), states_count("培育1—2个示范性托育机构", "家")
    (True, True)
    >>> states_count("支持驻新高校发展", "所"), states_count("建成3个服务区", "公里")
    (False, False)
    """
    if not unit:
        return False
    word = f"[{unit}个]" if unit in _CLASSIFIERS else re.escape(unit)
    return re.search(_NUMBER + word, normalize(text)) is not None
