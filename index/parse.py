"""Parse the plan's extracted text into a tree of sections.

The text is what a PDF extractor gives for a Chinese five-year plan: one paragraph a line, blank
lines between, headings on lines of their own (第X章, 第X节, （一）, 专栏 X-Y：, 表 X-Y：), tables as
tab-separated rows. The parser repairs the extraction artifacts (a paragraph cut by a page break,
spaces between Chinese and digits, a table header repeated on a new page) and keeps, for every
character of cleaned text, the offset of the source character it came from.

>>> sections = parse(Path("data/xinxiang-14th-five-year-plan.txt").read_text())
>>> [s.title for s in sections if s.kind == "chapter"][0]
'第一章 开启全面建设社会主义现代化新乡新征程'
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path  # noqa: F401  (used in the docstring example)

from index.schema import Paragraph, Section, TableRow

_NUM = "一二三四五六七八九十百零〇两"
CHAPTER = re.compile(rf"^第[{_NUM}\d]+章\s*\S")
SECTION = re.compile(rf"^第[{_NUM}\d]+节\s*\S")
SUBSECTION = re.compile(rf"^[（(][{_NUM}]+[）)]\s*\S")
BOX = re.compile(r"^专栏\s*\d+\s*[-－—–]\s*\d+")
TABLE_TITLE = re.compile(r"^表\s*\d+(\s*[-－—–]\s*\d+)?\s*[：:\s]")
# The 版记 of an official document (主办/督办/抄送/印发) closes it and belongs to the notice.
BACK_MATTER = re.compile(r"^(主办|督办|抄送|印发)\s*[：:]")
FRONT_TITLE_END = re.compile(r"(通知|纲要|规划|意见|决定|方案)$")
TERMINAL = tuple("。！？；：…”’」』）)】!?;:")
# A box item starts with a short label, a space, then its content ("三区 郑洛新国家自主创新示范区…").
BOX_ITEM = re.compile(r"^[^\s。，、；：,;:]{1,25} \S")
UNTITLED_TABLE = "主要指标表"
_HEADING_MAX = 80  # a heading line is short and has no full stop


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str
    kind: str  # chapter | section | subsection | box | table_title | row | text


def parse(source: str) -> list[Section]:
    """Return the sections of the plan in document order (parents before children)."""
    lines = _classify(source)
    if not lines:
        raise ValueError("the document has no text")
    return _Builder(source).build(lines)


def normalize_heading(text: str) -> str:
    """A heading as the gold set writes it: whitespace runs folded to one space."""
    return re.sub(r"\s+", " ", text).strip()


def _classify(source: str) -> list[Line]:
    lines = []
    for m in re.finditer(r"[^\n]+", source):
        text = m.group()
        if not text.strip():
            continue
        # a row keeps its leading tabs: they are the empty cells of a merged first column
        pad = " \r\f\v\u3000" if "\t" in text else None
        body = text.strip(pad)
        start = m.start() + len(text) - len(text.lstrip(pad))
        lines.append(Line(start, start + len(body), body, _kind(text)))
    return lines


def _kind(text: str) -> str:
    if "\t" in text:
        return "row"
    s = text.strip()
    if len(s) <= _HEADING_MAX and "。" not in s:
        for kind, pattern in (("chapter", CHAPTER), ("section", SECTION), ("subsection", SUBSECTION),
                              ("box", BOX), ("table_title", TABLE_TITLE)):
            if pattern.match(s):
                return kind
    return "text"


def clean(source: str, start: int, end: int, cell: bool = False) -> Paragraph:
    """Clean ``source[start:end]`` into one paragraph, keeping each character's source offset.

    Whitespace that holds a newline (a page break or a wrapped line) disappears between Chinese
    characters; a space between Chinese and a digit or Latin letter ("3000 亿元") disappears too;
    other whitespace runs become one space. In a table cell (``cell``) every space between Chinese
    characters is a wrapped line and goes.
    """
    chars: list[str] = []
    offsets: list[int] = []
    i = start
    while i < end:
        ch = source[i]
        if not ch.isspace():
            chars.append(ch)
            offsets.append(i)
            i += 1
            continue
        j = i
        while j < end and source[j].isspace():
            j += 1
        if chars and j < end and _keep_space(chars[-1], source[j], cell or "\n" in source[i:j]):
            chars.append(" ")
            offsets.append(i)
        i = j
    return Paragraph("".join(chars), tuple(offsets))


def _keep_space(left: str, right: str, wrapped: bool) -> bool:
    left_cjk, right_cjk = _is_cjk(left), _is_cjk(right)
    if left_cjk and right_cjk:
        return not wrapped
    return not (left_cjk or right_cjk)  # Latin–Latin keeps a space; CJK next to anything else does not


def _is_cjk(ch: str) -> bool:
    """Chinese characters and the punctuation Chinese text uses (curly quotes, dashes, 。，…)."""
    return ord(ch) >= 0x2E80 or 0x2010 <= ord(ch) <= 0x206F


class _Builder:
    """Walks the classified lines once, keeping the stack of open headings."""

    def __init__(self, source: str):
        self.source = source
        self.sections: list[Section] = []
        self.stack: list[Section] = []  # open chapter / section / subsection / box

    def build(self, lines: list[Line]) -> list[Section]:
        body_start = next((i for i, ln in enumerate(lines) if ln.kind == "chapter"), len(lines))
        back_start = next((i for i in range(body_start, len(lines))
                           if lines[i].kind == "text" and BACK_MATTER.match(lines[i].text)), len(lines))
        self._front(lines[:body_start])
        self._body(lines[body_start:back_start])
        self._back(lines[back_start:])
        return self.sections

    # -- front and back matter ---------------------------------------------------------------
    def _front(self, lines: list[Line]) -> None:
        titles = [i for i, ln in enumerate(lines) if _is_front_title(ln.text)] or ([0] if lines else [])
        for n, t in enumerate(titles):
            first = 0 if n == 0 else t + 1
            last = titles[n + 1] if n + 1 < len(titles) else len(lines)
            sec = self._new("front", lines[t], parent=None)
            sec.paragraphs = [self._para(ln) for ln in lines[first:t]]
            sec.paragraphs += self._paragraphs(lines[t + 1:last], in_box=False, join=False)

    def _back(self, lines: list[Line]) -> None:
        if not lines:
            return
        owner = next((s for s in self.sections if s.kind == "front"), None) or self.sections[-1]
        owner.paragraphs += [self._para(ln) for ln in lines]

    # -- body ------------------------------------------------------------------------------
    def _body(self, lines: list[Line]) -> None:
        i = 0
        while i < len(lines):
            ln = lines[i]
            if ln.kind in ("chapter", "section", "subsection", "box"):
                self._open(ln)
                i += 1
            elif ln.kind in ("table_title", "row"):
                i = self._table(lines, i)
            else:
                j = i
                while j < len(lines) and lines[j].kind == "text":
                    j += 1
                self._text(lines[i:j])
                i = j

    def _open(self, ln: Line) -> None:
        level = {"chapter": 0, "section": 1, "subsection": 2, "box": 3}[ln.kind]
        while self.stack and _LEVEL[self.stack[-1].kind] >= level:
            self.stack.pop()
        self.stack.append(self._new(ln.kind, ln, parent=self.stack[-1] if self.stack else None))

    def _text(self, lines: list[Line]) -> None:
        """Body text: inside a box, only label-led items stay in it; the rest returns to the parent."""
        top = self.stack[-1] if self.stack else None
        if top is None:
            return
        in_box = top.kind == "box"
        paragraphs = self._paragraphs(lines, in_box=in_box, join=True)
        if not in_box:
            top.paragraphs += paragraphs
            return
        k = 0
        if not top.paragraphs:
            k = 1  # the first paragraph under a box heading is the box's, label or not
        while k < len(paragraphs) and BOX_ITEM.match(paragraphs[k].text):
            k += 1
        top.paragraphs += paragraphs[:k]
        if k < len(paragraphs):
            self.stack.pop()
            self.stack[-1].paragraphs += paragraphs[k:]

    def _paragraphs(self, lines: list[Line], in_box: bool, join: bool) -> list[Paragraph]:
        """Group lines into paragraphs, joining a line to the one a page break cut it from."""
        groups: list[list[Line]] = []
        for ln in lines:
            if groups and join and self._continues(groups[-1][-1], ln, in_box):
                groups[-1].append(ln)
            else:
                groups.append([ln])
        return [clean(self.source, g[0].start, g[-1].end) for g in groups]

    def _continues(self, prev: Line, ln: Line, in_box: bool) -> bool:
        if prev.text.endswith(TERMINAL):
            return False
        return not (in_box and BOX_ITEM.match(clean(self.source, ln.start, ln.end).text))

    # -- tables ------------------------------------------------------------------------------
    def _table(self, lines: list[Line], i: int) -> int:
        title_line = lines[i] if lines[i].kind == "table_title" else None
        if title_line:
            i += 1
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.kind == "box":
            self.stack.pop()
            parent = self.stack[-1] if self.stack else None
        table = self._new("table", title_line, parent=parent)
        j = i
        while j < len(lines) and lines[j].kind == "row":
            j += 1
        _fill_table(table, lines[i:j], self.source)
        return j

    # -- helpers -----------------------------------------------------------------------------
    def _new(self, kind: str, ln: Line | None, parent: Section | None) -> Section:
        title = normalize_heading(ln.text) if ln else self._untitled_name()
        path = (parent.path if parent else ()) + (title,)
        sec = Section(id=f"s{len(self.sections):04d}", kind=kind, title=title, path=path,
                      heading=self._para(ln) if ln else None, parent=parent.id if parent else None)
        if parent:
            parent.children.append(sec.id)
        self.sections.append(sec)
        return sec

    def _untitled_name(self) -> str:
        n = sum(1 for s in self.sections if s.kind == "table" and s.heading is None)
        return UNTITLED_TABLE if n == 0 else f"{UNTITLED_TABLE} {n + 1}"

    def _para(self, ln: Line) -> Paragraph:
        return clean(self.source, ln.start, ln.end)


_LEVEL = {"chapter": 0, "section": 1, "subsection": 2, "box": 3}


def _is_front_title(text: str) -> bool:
    s = text.strip()
    return 10 <= len(s) <= 150 and not re.search(r"[。，；]", s) and bool(FRONT_TITLE_END.search(s))


def _cells(source: str, ln: Line) -> list[str]:
    """The cleaned cells of a tab-separated row (trailing empty cells dropped)."""
    cells, pos = [], ln.start
    for raw in source[ln.start:ln.end].split("\t"):
        cells.append(clean(source, pos, pos + len(raw), cell=True).text if raw.strip() else "")
        pos += len(raw) + 1
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _fill_table(table: Section, lines: list[Line], source: str) -> None:
    """Split a table's rows into header, repeated headers (dropped), category rows and data rows."""
    if not lines:
        return
    header = [lines[0]]
    for ln in lines[1:]:
        if _cells(source, ln)[:1] != [""]:
            break
        header.append(ln)
    header_keys = [re.sub(r"\s+", "", source[h.start:h.end]) for h in header]
    table.columns = _column_names([_cells(source, h) for h in header])
    table.paragraphs = [clean(source, h.start, h.end) for h in header]
    group, previous = "", []
    pending: Line | None = None  # a category line, folded into the span of the row right below it

    def keep_pending_as_text() -> None:
        if pending is not None:  # a category with no row right below it stays text of the table
            table.paragraphs.append(clean(source, pending.start, pending.end))

    for ln in lines[len(header):]:
        cells = _cells(source, ln)
        # the header again atop a new page is a PDF artifact, not the table's text; a note is its text
        repeated = re.sub(r"\s+", "", source[ln.start:ln.end]) in header_keys
        if repeated or (cells and cells[0].startswith("注")):
            keep_pending_as_text()
            if repeated:
                table.artifacts.append((ln.start, ln.end))
            else:
                table.paragraphs.append(clean(source, ln.start, ln.end))
            pending = None
            continue
        if len(cells) == 1:  # a category ("一、经济发展"): the rows below carry it
            keep_pending_as_text()
            group, pending = cells[0], ln
            continue
        # a row that starts with empty cells continues the row above (a merged first cell)
        lead = next((k for k, c in enumerate(cells) if c), 0)
        full = tuple(previous[:lead]) + tuple(cells[lead:]) if lead else tuple(cells)
        start = ln.start if pending is None else pending.start
        table.rows.append(TableRow(cells=full, paragraph=clean(source, start, ln.end), group=group))
        previous, pending = list(full), None
    keep_pending_as_text()
    aligned = _aligned([r.cells for r in table.rows], table.columns)
    table.rows = [replace(r, cells=cells) for r, cells in zip(table.rows, aligned)]


# A value cell: a dash, or a number maybe bracketed or compared ([35], >26.0, 6.5以上, 35左右).
_VALUE = re.compile(r"[—–-]|[\[［(（]?[<>≤≥＜＞]?\d.*")


def _aligned(rows: list[tuple[str, ...]], columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Rows laid under their columns.

    The PDF gives a two-level indicator a cell a level (城镇就业 | 城镇新增就业人数(万人)) where the
    header has one name column (指标名称; 指标 spans the empty header cell after it, for the number
    and the name), and it drops a row's empty cells. So a row's label cells, up to its first value,
    are joined into the name column and the values follow from the first value column; a row short
    of values keeps its last one under the last column when that is a value the last column holds
    in the full rows (预期性, 约束性).

    >>> _aligned([("6.城镇化率", "常住人口城镇化率(%)", "49", "预期性"), ("1.生产总值", "2", "3", "预期性")],
    ...          ("指标名称", "基数", "目标", "属性"))
    [('6.城镇化率 常住人口城镇化率(%)', '49', '', '预期性'), ('1.生产总值', '2', '3', '预期性')]
    """
    labels = 1 + next((k for k, c in enumerate(columns[1:]) if c), len(columns) - 1)
    values = len(columns) - labels
    split = []
    for cells in rows:
        n = 1 + next((k for k, c in enumerate(cells[1:]) if _VALUE.fullmatch(c)), len(cells) - 1)
        if n > labels:  # a two-level name: its levels share the name column
            label = list(cells[:labels - 1]) + [" ".join(cells[labels - 1:n])]
        else:
            label = list(cells[:n]) + [""] * (labels - n)
        split.append((label, list(cells[n:])))
    last = {v[-1] for _, v in split if v and len(v) == values}
    out = []
    for label, vals in split:
        if 0 < len(vals) < values and vals[-1] in last:
            vals = vals[:-1] + [""] * (values - len(vals)) + vals[-1:]
        out.append(tuple(label + vals))
    return out


def _column_names(header_rows: list[list[str]]) -> tuple[str, ...]:
    """Merge a multi-line header: a spanning upper cell carries over the empty cells to its right."""
    width = max(len(r) for r in header_rows)
    names = [""] * width
    for row in header_rows:
        carried = ""
        for k in range(width):
            cell = row[k] if k < len(row) else ""
            below = any(k < len(r) and r[k] for r in header_rows[header_rows.index(row) + 1:])
            if cell:
                carried = cell
            elif carried and below:
                cell = carried
            names[k] = f"{names[k]} {cell}".strip() if cell else names[k]
    return tuple(n for n in names)
