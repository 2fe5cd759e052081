"""The citation a staff member pastes into a memo: the plan's title, where the passage stands, the quote.

>>> citation(("第五章 加快构建生态文明体系", "第二节 推进“32231”林业生态工程",
...           "专栏 5-2：“32231”林业生态工程"), "完成造林10万亩。")
'《新乡市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》第五章第二节（专栏 5-2）：“完成造林10万亩。”'
"""
from __future__ import annotations

import re

from index.schema import Passage, Section, TableRow

PLAN_TITLE = "新乡市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要"
MAX_QUOTE_CHARS = 200

_ORDINAL = re.compile(r"^(第[一二三四五六七八九十百零〇]+[章节]|（[一二三四五六七八九十]+）)")
_LABEL = re.compile(r"^(专栏|表)\s*(\d+-\d+)")


def location(path: tuple[str, ...]) -> str:
    """Where a heading path points, in the plan's own numbering: ``第一章第五节（二）（主要指标表）``.

    Chapters, sections and subsections give their ordinals; a box or table is named in brackets by
    its label (``专栏 5-2``, ``表 1-1``) or, untitled, by its whole name.
    """
    parts = []
    for heading in path:
        if m := _ORDINAL.match(heading):
            parts.append(m.group(1))
        elif m := _LABEL.match(heading):
            parts.append(f"（{m.group(1)} {m.group(2)}）")
        elif heading.endswith("表"):
            parts.append(f"（{heading}）")
    return "".join(parts)


def display_path(path: tuple[str, ...]) -> tuple[str, ...]:
    """The heading path as a reader sees it: a front-matter heading (the notice, the title page)
    loses the inner spaces it keeps from the PDF's line breaks."""
    if _ORDINAL.match(path[0]):
        return path
    return (re.sub(r"\s+", "", path[0]), *path[1:])


def document(path: tuple[str, ...]) -> str:
    """The document a passage belongs to: the plan, or the front-matter item (the notice) it opens with."""
    return PLAN_TITLE if _ORDINAL.match(path[0]) else display_path(path)[0]


def citation(path: tuple[str, ...], quote: str) -> str:
    """``《document》location：“quote”`` with the quote whitespace-normalised and cut at 200 characters."""
    quote = re.sub(r"\s+", " ", quote).strip()
    if len(quote) > MAX_QUOTE_CHARS:
        quote = quote[:MAX_QUOTE_CHARS] + "…"
    return f"《{document(path)}》{location(path)}：“{quote}”"


def table_row(table: Section, passage: Passage) -> TableRow | None:
    """The row of ``table`` that ``passage`` cites, if it cites one."""
    return next((r for r in table.rows if (r.paragraph.start, r.paragraph.end) == (passage.start, passage.end)), None)


def row_quote(table: Section, row: TableRow) -> str:
    """A table row as ``column value`` pairs, empty cells left out: "指标 12 每千人口卫生技术人员数；2020年基数 2.87；…"."""
    return "；".join(f"{name} {value}" if name else value for name, value in table.grouped(row.cells) if value)


def passage_citation(passage: Passage, highlight: str, section: Section, row: TableRow | None) -> str:
    """The citation of a retrieved passage, quoting its best sentence (a table ``row``: the row itself)."""
    quote = row_quote(section, row) if row is not None else None
    return citation(passage.path, quote or highlight or passage.text)
