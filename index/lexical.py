"""Lexical side: Chinese tokens for BM25 (bm25s).

Chinese has no spaces, so a passage is cut into overlapping character bigrams (``bigram``), jieba words
(``jieba``) or both. Text is NFKC-normalised first (full-width letters, digits and brackets become
half-width) and a year written in Chinese numerals (二〇三五) becomes digits, so "2035" matches it.

>>> tokenize("到2025年森林覆盖率目标")
['到', '2025', '年森', '森林', '林覆', '覆盖', '盖率', '率目', '目标']
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

from index.glossary import translate
from index.hanzi import simplify_table

TOKENIZERS = ("bigram", "jieba", "both")
HAN = "[\u3400-\u9fff\uf900-\ufaff]"  # a Chinese character (CJK unified ideographs, extension A, compatibility)
_CJK_RUN = re.compile(HAN + "+")
_TOKEN = re.compile(HAN + r"+|[a-z0-9]+(?:\.[0-9]+)?%?")
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CN_YEAR = re.compile(r"[〇零一二三四五六七八九]{4}(?=年)")
# Words that say "this is a question" and nothing about its subject; they would match noise.
QUESTION_WORDS = re.compile(
    r"第几章|哪一?章|哪一?年|哪一?级|什么时候|何时|为什么|为啥|多大|多长|多高|多久|多远|"
    r"是什么|什么样|有哪些|有什么|包括哪些|哪些|哪个|哪几|哪里|哪儿|什么|怎么样|怎样|怎么|如何|多少|几个|"
    r"是否|是不是|有没有|能不能|请问|谁|啥|规划里|规划中|纲要里|吗|呢|吧|啊|呀|么")


def normalize(text: str) -> str:
    """NFKC, lower case, traditional characters as simplified, Chinese-numeral years as digits."""
    text = unicodedata.normalize("NFKC", text).lower().translate(simplify_table())
    return _CN_YEAR.sub(lambda m: m.group().translate(_CN_DIGITS), text)


def has_chinese(text: str) -> bool:
    """Whether ``text`` holds any Chinese character: a question without one is taken as English."""
    return _CJK_RUN.search(text) is not None


def tokenize(text: str, mode: str = "bigram") -> list[str]:
    """Tokens of a passage or a query, by ``mode`` (one of :data:`TOKENIZERS`)."""
    if mode not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {mode!r}; expected one of {', '.join(TOKENIZERS)}")
    text = normalize(text)
    tokens: list[str] = []
    if mode in ("bigram", "both"):
        for m in _TOKEN.finditer(text):
            run = m.group()
            tokens += _bigrams(run) if _CJK_RUN.fullmatch(run) else [run]
    if mode in ("jieba", "both"):
        tokens += [w for w in _jieba().lcut_for_search(text) if _TOKEN.fullmatch(w)]
    return tokens


def query_tokens(question: str, mode: str = "bigram", glossary: dict[str, list[str]] | None = None) -> list[str]:
    """Tokens of a question, its interrogative words removed first.

    With a ``glossary`` (see :mod:`index.glossary`), English words of the question add the tokens of
    the Chinese words they gloss, so an English question can match the Chinese plan.
    """
    tokens = tokenize(QUESTION_WORDS.sub(" ", normalize(question)), mode)
    if glossary:
        tokens += [t for term in translate(question, glossary) for t in tokenize(term, mode)]
    return tokens


def nouns(question: str) -> list[str]:
    """The question's nouns of two or more characters (jieba's part-of-speech tags), question words
    removed first: what it is about ("洛阳市", "起步价")."""
    import jieba.posseg

    _jieba()  # silenced before first use
    text = QUESTION_WORDS.sub(" ", normalize(question))
    return [w for w, tag in jieba.posseg.lcut(text) if tag.startswith("n") and len(w) >= 2
            and _CJK_RUN.fullmatch(w)]


# jieba's dictionary counts each word's uses in a corpus of some 60 million: a noun counted 500
# times or more is an everyday word (外地 1226, 意思 6089), one counted less a name or a term
# (病床 239, 洛阳市 52, 起步价 3). Set on the dev set (any count from 53 to 1226 does the same there).
COMMON_COUNT = 500


def is_common(word: str) -> bool:
    """Whether ``word`` is an everyday word of Chinese, by jieba's dictionary.

    >>> is_common("意思"), is_common("洛阳市")
    (True, False)
    """
    jieba = _jieba()
    jieba.initialize()  # the dictionary loads on first use; a no-op once loaded
    return (jieba.get_FREQ(word) or 0) >= COMMON_COUNT


def sentences(text: str) -> list[str]:
    """The sentences (and clauses ended by ；) of a passage, table rows being lines of their own."""
    return [s for s in (m.group().strip() for m in _SENTENCE.finditer(text)) if s]


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)  # silence its start-up banner
    return jieba


# BM25 saturation and length normalisation. Passages are cut to about 300 characters, so a longer
# one (a section's opening, led by its heading path) is rarely less focused: b is below bm25s's 0.75
# (chosen on dev, where b 0.4-0.6 is a plateau; see eval/ablation.md).
BM25_K1 = 1.5
BM25_B = 0.5


def build_bm25(texts: list[str], mode: str = "bigram", b: float = BM25_B):
    """A bm25s index over ``texts``."""
    import bm25s

    bm25 = bm25s.BM25(k1=BM25_K1, b=b)
    bm25.index([tokenize(t, mode) or [""] for t in texts], show_progress=False)
    return bm25


def bm25_scores(bm25, tokens: list[str]) -> np.ndarray:
    """BM25 score of every passage for the query tokens (zeros when none is in the vocabulary)."""
    known = [t for t in tokens if t in bm25.vocab_dict]
    if not known:
        return np.zeros(bm25.scores["num_docs"], dtype=np.float32)
    return bm25.get_scores(known)
