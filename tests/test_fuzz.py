"""Property tests of parse and chunk on generated plan-like text: whatever the PDF extractor hands
over (headings, boxes, tables, page breaks, stray spaces, both widths of punctuation, emoji, astral
characters), parsing does not fail, every visible character of the text lands in some passage, and
every passage's span is where its text came from."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from eval.gold import strip_ws
from index.chunk import ChunkParams, chunk
from index.parse import parse

# Characters a plan's paragraph is made of, the odd ones included: full- and half-width punctuation,
# full-width letters and digits, emoji, CJK extension B (astral), no-break and ideographic spaces.
HAN = "规划发展建设推进新乡市生态产业创新城乡体系目标"
PUNCT = "，。；：！？、“”（）《》—…,.;:!?()%·"
ODD = "ＡＢ１２３😀🚄🌲𠀀𪚥\u00a0\u3000 "
ASCII = "abcXYZ0123456789"
NUMERALS = "一二三四五六七八九十"

words = st.text(st.sampled_from(HAN + ASCII + ODD), min_size=1, max_size=8)
sentence = st.builds(lambda parts, end: "".join(parts) + end,
                     st.lists(st.one_of(words, st.sampled_from(PUNCT)), min_size=1, max_size=10),
                     st.sampled_from(["。", "；", "！", "？", "", ".", "…"]))
numeral = st.sampled_from(NUMERALS)


@st.composite
def paragraph(draw) -> str:
    """One paragraph, maybe cut by a page break or a wrapped line in the middle."""
    text = "".join(draw(st.lists(sentence, min_size=1, max_size=4)))
    cut = draw(st.integers(0, len(text)))
    breaker = draw(st.sampled_from(["", "", "\n\n", "\n", " \n\n ", "\f\n", "\n\u3000\n"]))
    return text[:cut] + breaker + text[cut:]


def heading(kind: str, n: str, title: str) -> str:
    return {"chapter": f"第{n}章 {title}", "section": f"第{n}节 {title}", "subsection": f"（{n}）{title}",
            "box": f"专栏 {len(n)}-{len(title)}：{title}", "table": f"表 {len(n)}-1：{title}"}[kind]


@st.composite
def table_rows(draw) -> list[str]:
    """A header and rows of tab-separated cells; some rows start empty (a merged first cell)."""
    width = draw(st.integers(2, 4))
    cell = st.text(st.sampled_from(HAN + ASCII + "．%（）～ "), max_size=6)
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=5))
    return ["\t".join(r) for r in rows]


@st.composite
def block(draw) -> list[str]:
    """A heading of some kind with what follows it, or a bare paragraph."""
    kind = draw(st.sampled_from(["chapter", "section", "subsection", "box", "table", "text", "text"]))
    if kind == "text":
        return [draw(paragraph())]
    lines = [heading(kind, draw(numeral), draw(words))]
    if kind == "table":
        return lines + draw(table_rows())
    if kind == "box":  # box items: a short label, a space, the content
        return lines + [f"{draw(words)} {draw(paragraph())}" for _ in range(draw(st.integers(0, 3)))]
    return lines + draw(st.lists(paragraph(), max_size=3))


@st.composite
def plan_text(draw) -> str:
    """A document shaped like the plan: maybe a front-matter title, blocks, lines separated by
    one or more newlines, some lines indented with spaces or full-width spaces."""
    lines = ["新乡市国民经济和社会发展第十四个五年规划纲要"] if draw(st.booleans()) else []
    lines += [ln for b in draw(st.lists(block(), min_size=1, max_size=8)) for ln in b]
    seps = draw(st.lists(st.sampled_from(["\n", "\n\n", "\n \n", "\n\u3000"]), min_size=len(lines),
                         max_size=len(lines)))
    return "".join(ln + sep for ln, sep in zip(lines, seps))


# Anything at all, line by line, some lines led by what starts a heading or a table row.
garbage = st.text(st.sampled_from(HAN + PUNCT + ODD + ASCII + "\n\t\r\f\x1c\u2028第章节专栏表（）一二-："),
                  max_size=60)
any_text = st.lists(st.tuples(st.sampled_from(["", "", "第一章", "第二节 ", "（一）", "专栏 1-1：", "表 1-1：", "\t"]),
                              garbage).map("".join), min_size=1, max_size=12).map("\n".join)
# The profile (tests/conftest.py) sets the number of examples: 150 for the suite, more for `make fuzz`.
PROPERTY = settings(suppress_health_check=[HealthCheck.too_slow])


def check_passages(source: str) -> None:
    """Parse and chunk ``source`` (small chunks, so splitting happens) and check every promise."""
    sections = parse(source)
    passages = chunk(source, sections, ChunkParams(size=40, overlap=0))
    kind = {s.id: s.kind for s in sections}
    covered = bytearray(len(source))
    for p in passages:
        assert 0 <= p.start < p.end <= len(source), p
        cited = source[p.start:p.end]
        assert not cited[0].isspace() and not cited[-1].isspace(), (p.id, cited)
        covered[p.start:p.end] = b"\x01" * (p.end - p.start)
        if p.kind == "row":  # last line: 〔category〕, then the cells joined by " | ", carried-over ones first
            group, cells = re.fullmatch(r"(?:〔(.*?)〕)?(.*)", p.text.split("\n")[-1], re.S).groups()
            own = strip_ws(cited)  # the span starts at the category's line when the row is its first
            own = own.removeprefix(strip_ws(group or ""))
            assert strip_ws(cells.replace(" | ", "")).endswith(own), p.id
        elif kind[p.section_id] == "table":  # led by the table's title and header
            assert strip_ws(p.text).endswith(strip_ws(cited)), p.id
        else:
            assert strip_ws(p.text) == strip_ws(cited), p.id
    for start, end in (span for s in sections for span in s.artifacts):  # a repeated table header
        assert strip_ws(source[start:end]) in {strip_ws(p.text) for s in sections for p in s.paragraphs
                                              if kind[s.id] == "table"}, source[start:end]
        covered[start:end] = b"\x01" * (end - start)
    lost = [i for i, ch in enumerate(source) if not ch.isspace() and not covered[i]]
    assert not lost, f"characters in no passage: {[source[i] for i in lost][:10]} at {lost[:10]}"


@PROPERTY
@given(plan_text().filter(lambda s: s.strip()))  # a blank document is refused (tests/test_parse.py)
@example("第一章 0\n表 1-1：0\n0\t\n0\tX\n")  # found by a random sweep: a table of one named column
def test_plan_like_text_is_fully_covered_by_faithful_passages(source):
    check_passages(source)


@PROPERTY
@given(any_text.filter(lambda s: s.strip()))
# found by random sweeps: two category lines in a row; a category line before a repeated header
@example("第一章0\n0\t\n1\t\n第一章\t")
@example("第一章0\n0\t\n1\t\n0\t")
def test_arbitrary_text_is_fully_covered_by_faithful_passages(source):
    check_passages(source)
