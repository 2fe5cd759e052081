"""Passages: they cover the whole plan, cite exact spans, stay inside one section, carry table context."""
from __future__ import annotations


from eval.gold import strip_ws
from index.chunk import ChunkParams, chunk


def test_every_character_of_the_plan_is_in_a_passage(source, sections, passages):
    covered = bytearray(len(source))
    for p in passages:
        covered[p.start:p.end] = b"\x01" * (p.end - p.start)
    for start, end in artifacts(sections):  # a table header repeated on a new page is in no passage
        covered[start:end] = b"\x01" * (end - start)
    missing = [i for i, ch in enumerate(source) if not ch.isspace() and not covered[i]]
    assert not missing, f"{len(missing)} characters in no passage, first at {missing[:1]}: {source[missing[0]:missing[0] + 20]!r}"


def test_cited_span_is_the_source_of_the_text(source, passages):
    for p in passages:
        cited = strip_ws(source[p.start:p.end])
        if p.kind == "row":  # the last line: 〔category〕 and the cells (after any carried-over label)
            assert strip_ws(p.text.split("\n")[-1]).translate(str.maketrans("", "", "|〔〕")).endswith(cited), p.id
        elif not p.path[-1].startswith(("表", "主要指标表")):
            assert strip_ws(p.text) == cited, p.id


def test_no_passage_crosses_a_section(source, sections, passages):
    spans = {}
    for s in sections:
        own = ([s.heading] if s.heading else []) + s.paragraphs + [r.paragraph for r in s.rows]
        spans[s.id] = {i for para in own for i in para.offsets}
    for p in passages:
        inside = {i for i in range(p.start, p.end) if not source[i].isspace()}
        assert inside <= spans[p.section_id], p.id


def test_passages_respect_the_chunk_size(source, sections):
    for size in (120, 300):
        for p in chunk(source, sections, ChunkParams(size=size, overlap=0)):
            if p.kind == "text" and not p.path[-1].startswith(("表", "主要指标表")):
                assert len(p.text) <= size


def test_table_row_passage_carries_title_and_headers(passages):
    row = next(p for p in passages if p.kind == "row" and "森林覆盖率（%）" in p.text and "主要指标表" in p.path[-1])
    title, header, cells = row.text.split("\n")
    assert title == "主要指标表" and "2025年目标" in header
    assert "23.1 | >26.0" in cells and "〔四、绿色生态〕" in cells


def test_passage_ids_are_unique_and_stable(source, sections, passages):
    assert len({p.id for p in passages}) == len(passages)
    again = chunk(source, sections)
    assert [p.id for p in again] == [p.id for p in passages]


def test_chapter_passage_starts_with_its_heading(source, passages):
    first = next(p for p in passages if p.path == ("第十一章 全面深化市场化改革",))
    assert strip_ws(source[first.start:first.end]).startswith("第十一章全面深化市场化改革以完善产权制度")


def artifacts(sections) -> list[tuple[int, int]]:
    return [span for s in sections for span in s.artifacts]


def test_a_header_repeated_on_a_new_page_is_no_passage(source, sections, passages):
    repeats = artifacts(sections)
    assert len(repeats) == 4  # 表 1-1's two-line header once, the 2025 table's header twice
    for start, end in repeats:
        header = next(s for s in sections if (start, end) in s.artifacts).paragraphs
        assert strip_ws(source[start:end]) in {strip_ws(source[h.start:h.end]) for h in header}
        assert not [p.id for p in passages if p.start < end and p.end > start]
    for table in (s for s in sections if s.kind == "table"):
        texts = [p.text for p in passages if p.section_id == table.id and p.kind == "text"]
        assert len(texts) == len(set(texts)) == 2, texts  # the title with its header, and the notes
