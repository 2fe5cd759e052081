"""Cut sections into passages: the units that are indexed, retrieved and cited.

A chunk never crosses a section boundary: each section's own paragraphs (its heading first) are split
on Chinese sentence boundaries with langchain-text-splitters. A table row becomes one passage whose
display text carries the table's title and column headers. Every passage keeps the span of the source
it came from, so ``source[p.start:p.end]`` is what it cites.

>>> passages = chunk(source, parse(source), ChunkParams(size=300, overlap=0))
>>> passages[0].path
('新乡市人民政府 关于印发新乡市国民经济和社会发展第十四个 五年规划和二〇三五年远景目标纲要的通知',)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from index.schema import Paragraph, Passage, Section, TableRow

if TYPE_CHECKING:  # imported when chunking: a query never chunks, and the import costs ~0.3 s at start-up
    from langchain_text_splitters import RecursiveCharacterTextSplitter

# Paragraphs first, then Chinese sentence ends, then clause breaks: a chunk ends on the largest unit that fits.
SEPARATORS = ["\n", "。", "！", "？", "；", "，", "、", ""]


@dataclass(frozen=True)
class ChunkParams:
    """How text is cut; recorded in the index manifest so a change forces a rebuild."""

    size: int = 300
    overlap: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def chunk(source: str, sections: list[Section], params: ChunkParams = ChunkParams()) -> list[Passage]:
    """All passages of the plan, in document order of their sections."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=params.size, chunk_overlap=params.overlap, separators=SEPARATORS,
        keep_separator="end", strip_whitespace=True)
    passages: list[Passage] = []
    for sec in sections:
        own = sorted(([sec.heading] if sec.heading else []) + sec.paragraphs, key=lambda p: p.start)
        texts = [piece for run in _runs(source, own) for piece in _split(run, splitter, params.overlap)]
        if sec.kind == "table":
            texts = [(f"{_table_head(sec)}\n{t}" if sec.heading is None or n else t, s, e)
                     for n, (t, s, e) in enumerate(texts)]
        passages += [Passage(f"{sec.id}-t{n:03d}", sec.id, "text", sec.path, t, s, e)
                     for n, (t, s, e) in enumerate(texts)]
        passages += [Passage(f"{sec.id}-r{n:03d}", sec.id, "row", sec.path, row_text(sec, row),
                             row.paragraph.start, row.paragraph.end)
                     for n, row in enumerate(sec.rows)]
    return passages


def row_text(table: Section, row: TableRow) -> str:
    """A table row as a reader needs it: title, column headers, the category, the cells."""
    cells = " | ".join(row.cells)
    group = f"〔{row.group}〕" if row.group else ""
    return f"{_table_head(table)}\n{group}{cells}"


def _table_head(table: Section) -> str:
    return f"{table.title}\n" + " | ".join(c for c in table.columns if c)


def _runs(source: str, paragraphs: list[Paragraph]) -> list[list[Paragraph]]:
    """Group a section's paragraphs into runs that stand together in the source.

    A section's text can be interrupted (a box inside a section, the notice's closing lines at the
    end of the document); a chunk must not span the interruption, or its cited span would too.
    """
    runs: list[list[Paragraph]] = []
    for p in paragraphs:
        if runs and not source[runs[-1][-1].end:p.start].strip():
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _split(paragraphs: list[Paragraph], splitter: RecursiveCharacterTextSplitter,
           overlap: int) -> list[tuple[str, int, int]]:
    """Split the joined paragraphs; return (text, source start, source end) per chunk."""
    if not paragraphs:
        return []
    text = "\n".join(p.text for p in paragraphs)
    offsets: list[int] = []
    for p in paragraphs:
        if offsets:
            offsets.append(offsets[-1])  # the joining newline maps onto the previous character
        offsets.extend(p.offsets)
    out, cursor = [], 0
    for piece in splitter.split_text(text):
        at = text.find(piece, cursor)
        if at < 0:  # cannot happen with strip_whitespace on text we built, but never cite a wrong span
            raise RuntimeError(f"chunk not found in its section: {piece[:30]!r}")
        end = at + len(piece)
        out.append((piece, offsets[at], offsets[end - 1] + 1))
        # The next chunk starts at most ``overlap`` characters before this one ends; searching from
        # nearer this one's start could find its text repeated inside this one ("0000。" in "00000。").
        cursor = max(at + 1, end - overlap)
    return out
