"""Traditional Chinese characters → simplified, from CC-CEDICT, so a question typed in traditional
characters (森林覆蓋率目標) matches the plan's simplified text (森林覆盖率目标).

Only characters that are unambiguously traditional are mapped: a character that CC-CEDICT also uses
in simplified words (著 in 显著, 乾 in 乾坤) or that has several simplified forms is left alone.

>>> "森林覆蓋率目標".translate(simplify_table())
'森林覆盖率目标'
"""
from __future__ import annotations

from functools import lru_cache

from index.glossary import dictionary_entries


@lru_cache(maxsize=1)
def simplify_table() -> dict[int, str]:
    """A ``str.translate`` table: code point of each traditional-only character → its simplified form."""
    forms: dict[str, set[str]] = {}
    simplified: set[str] = set()
    for line in dictionary_entries():
        traditional, simple = line.split(" ", 2)[:2]
        simplified.update(simple)
        if len(traditional) == len(simple):
            for t, s in zip(traditional, simple):
                if t != s:
                    forms.setdefault(t, set()).add(s)
    return {ord(t): next(iter(s)) for t, s in forms.items() if len(s) == 1 and t not in simplified}
