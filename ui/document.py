"""HTML of the plan itself: any node of its tree with a cited span marked, and the table of contents.

Every piece of the plan's text goes through :func:`html.escape`; the only markup is the app's own.
"""
from __future__ import annotations

from html import escape
from itertools import groupby

from index.schema import Paragraph, Section, TableRow
from index.store import Index
from ui.cite import display_path
from ui.i18n import t

Span = tuple[int, int]  # [start, end) in the source

_NODE_TAG = {"box": "aside", "table": "figure"}


def title_of(section: Section) -> str:
    """A node's title as shown (front matter without the PDF's inner spaces)."""
    return display_path(section.path)[-1] if section.kind == "front" else section.title


def overlaps(paragraph: Paragraph, span: Span | None) -> bool:
    return span is not None and paragraph.start < span[1] and paragraph.end > span[0]


def marked(paragraph: Paragraph, span: Span | None) -> str:
    """The paragraph's text, escaped, with the characters whose source offsets fall in ``span`` in ``<mark>``."""
    if not overlaps(paragraph, span):
        return escape(paragraph.text)
    runs = groupby(zip(paragraph.text, paragraph.offsets), key=lambda c: span[0] <= c[1] < span[1])
    return "".join(f'<mark class="pq-mark">{escape(text)}</mark>' if inside else escape(text)
                   for inside, text in ((inside, "".join(ch for ch, _ in run)) for inside, run in runs))


def node_html(index: Index, section: Section, span: Span | None = None, nested: bool = True, level: int = 2) -> str:
    """A node: its heading (``<h{level}>``, children one level down), its own text and its
    children in the plan's order.

    With ``nested`` False the children show as titles only (a chapter opened for context would
    otherwise be the whole chapter).
    """
    tag = _NODE_TAG.get(section.kind, "section")
    h = f"h{min(level, 6)}"
    cited = section.heading is not None and overlaps(section.heading, span)
    heading = marked(section.heading, span) if cited else escape(title_of(section))  # else the normalised title
    parts = [f'<{tag} class="pq-node pq-{section.kind}" data-node="{escape(section.id)}">',
             f'<{h} class="pq-heading">{heading}</{h}>']
    if section.kind == "table":
        parts.append(table_html(section, span))
    else:
        children = [index.by_id[c] for c in section.children]
        items = [(p.start, p) for p in section.paragraphs] + [(c.start, c) for c in children]
        for _, item in sorted(items, key=lambda it: it[0]):
            if isinstance(item, Paragraph):
                parts.append(f"<p>{marked(item, span)}</p>")
            elif nested:
                parts.append(node_html(index, item, span, level=level + 1))
            else:
                parts.append(f'<p class="pq-child">{escape(item.title)}</p>')
    parts.append(f"</{tag}>")
    return "".join(parts)


def table_html(table: Section, span: Span | None, rows: list[TableRow] | None = None) -> str:
    """A table as a table: column headers, rows under their categories (a row spanning the width;
    short rows, cut by the PDF's merged cells, are padded), then its notes. Given ``rows``, only
    those, without categories or notes."""
    width = len(table.columns)
    head = "".join(f'<th scope="col"{f" colspan={n}" if n > 1 else ""}>{escape(c)}</th>'
                   for c, n in table.column_spans())
    body, group = [], ""
    for row in table.rows if rows is None else rows:
        if rows is None and row.group and row.group != group:  # a category heads the rows under it
            group = row.group
            body.append(f'<tr><th colspan="{width}" scope="rowgroup">{escape(group)}</th></tr>')
        attrs = ' class="pq-mark-row"' if overlaps(row.paragraph, span) else ""
        cells = "".join(f"<td>{escape(c)}</td>" for c in row.cells) + "<td></td>" * (width - len(row.cells))
        body.append(f"<tr{attrs}>{cells}</tr>")
    # A table's own paragraphs are its header lines and its notes ("注：…").
    notes = "" if rows is not None else "".join(
        f'<p class="pq-note">{marked(p, span)}</p>' for p in table.paragraphs if p.text.startswith("注"))
    return (f'<div class="pq-table-wrap" tabindex="0"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{notes}')


def context_html(index: Index, section_id: str, span: Span, level: int = 4) -> str:
    """The whole section (box, table) around a cited span, the span marked; headings from ``level``
    (under the card's own ``<h3>``)."""
    section = index.by_id[section_id]
    return node_html(index, section, span, nested=section.kind != "chapter", level=level)


def reader_html(index: Index, node_id: str | None, lang: str) -> str:
    """The reading pane: the node's place in the plan, then the node with all it contains."""
    section = index.by_id.get(node_id) if node_id else None
    if section is None:
        return f'<p class="pq-hint">{escape(t("reader_hint", lang))}</p>'
    crumbs = " › ".join(escape(h) for h in display_path(section.path))
    return (f'<article class="pq-reader" lang="zh-CN"><p class="pq-crumbs">{crumbs}</p>'
            f"{node_html(index, section)}</article>")


def toc_html(index: Index, lang: str) -> str:
    """The table of contents: every node as a button (``data-node``), nested as in the plan."""

    def item(section: Section) -> str:
        kids = "".join(item(index.by_id[c]) for c in section.children)
        return (f'<li><button type="button" class="pq-toc-node pq-toc-{section.kind}" '
                f'data-node="{escape(section.id)}">{escape(title_of(section))}</button>'
                f'{f"<ul>{kids}</ul>" if kids else ""}</li>')

    roots = "".join(item(s) for s in index.sections if s.parent is None)
    label = escape(t("toc", lang))
    return f'<nav class="pq-toc" aria-label="{label}" lang="zh-CN"><ul>{roots}</ul></nav>'
