"""The records that travel from parsing to answering.

A :class:`Section` is one node of the plan's tree (the notice, the plan's title page, a chapter, a
section, a subsection, a box or a table). A :class:`Passage` is the unit that is indexed and cited:
a piece of one section's text with its character span in the source.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    """One logical paragraph of a section, repaired of page-break cuts.

    ``text`` is the cleaned text; ``offsets[i]`` is the source index of ``text[i]``, so any slice of
    the cleaned text maps back to a span of the source.
    """

    text: str
    offsets: tuple[int, ...]

    @property
    def start(self) -> int:
        return self.offsets[0]

    @property
    def end(self) -> int:
        return self.offsets[-1] + 1


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its cells (cleaned) and the paragraph that holds its source span."""

    cells: tuple[str, ...]
    paragraph: Paragraph
    group: str = ""  # the category row ("一、经济发展") or spanning first cell the row falls under


@dataclass
class Section:
    """A node of the plan's tree.

    ``kind`` is one of ``front``, ``chapter``, ``section``, ``subsection``, ``box``, ``table``.
    ``path`` holds the heading lines from the root down to this node, whitespace-normalised.
    ``heading`` is the heading line itself as a paragraph (None for untitled tables), and
    ``paragraphs`` the node's own body text, without the text of its children.
    """

    id: str
    kind: str
    title: str
    path: tuple[str, ...]
    heading: Paragraph | None
    paragraphs: list[Paragraph] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    parent: str | None = None
    columns: tuple[str, ...] = ()  # tables only
    rows: list[TableRow] = field(default_factory=list)  # tables only
    # source spans left out as PDF artifacts: a table's header repeated atop a new page
    artifacts: list[tuple[int, int]] = field(default_factory=list)

    def column_spans(self) -> list[tuple[str, int]]:
        """A table's header cells with how many columns each spans: an empty one belongs to the
        cell on its left (指标 over the number and the name)."""
        spans: list[list] = []
        for c in self.columns:
            if c or not spans:
                spans.append([c, 1])
            else:
                spans[-1][1] += 1
        return [(c, n) for c, n in spans]

    def grouped(self, cells: tuple[str, ...]) -> list[tuple[str, str]]:
        """A row's cells under the header cells that span them, as (column, value) pairs; cells
        beyond the header come last, without a column."""
        pairs, at = [], 0
        for name, n in self.column_spans():
            pairs.append((name, " ".join(c for c in cells[at:at + n] if c)))
            at += n
        return pairs + [("", c) for c in cells[at:] if c]

    @property
    def start(self) -> int:
        spans = [p.start for p in self._all_paragraphs()]
        return min(spans)

    @property
    def end(self) -> int:
        return max(p.end for p in self._all_paragraphs())

    def _all_paragraphs(self) -> list[Paragraph]:
        own = [self.heading] if self.heading else []
        return own + self.paragraphs + [r.paragraph for r in self.rows]


@dataclass(frozen=True)
class Passage:
    """The unit of retrieval and citation.

    ``text`` is what a reader sees (a table row carries its table's title and column headers);
    ``source[start:end]`` is the span of the plan it cites.
    """

    id: str
    section_id: str
    kind: str  # "text", "row" or "heading"
    path: tuple[str, ...]
    text: str
    start: int
    end: int

    @property
    def section_path(self) -> str:
        return " > ".join(self.path)
