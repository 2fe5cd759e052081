"""HTML of an answer: the question, the not-in-plan notice, and one card per cited passage.

A card shows the rank, the heading path as its title, the passage with its best sentence marked,
a copy button carrying the memo citation (``data-cite``, copied by the page's script), the score,
and the whole section around the passage in a ``<details>`` that opens in place. Everything that
comes from the plan or from the visitor is escaped here.
"""
from __future__ import annotations

from html import escape

from index.schema import Passage, Section, TableRow
from index.store import Index
from qa.answer import Answer
from qa.retrieve import Hit
from ui.cite import display_path, location, passage_citation, table_row
from ui.document import context_html, table_html
from ui.i18n import language_of, t


def answer_html(ans: Answer, index: Index, lang: str, seconds: float) -> str:
    """The results pane for ``ans`` in interface language ``lang``; ``seconds`` is the time it took.

    The not-in-plan notice speaks the question's language, whatever the interface's.
    """
    qlang = language_of(ans.question)
    parts = [f'<div class="pq-answer"><p class="pq-asked">{escape(t("you_asked", lang))}'
             f' <q>{escape(ans.question)}</q></p>']
    if not ans.answerable:
        parts.append(f'<p class="pq-notice" role="note" lang="{_html_lang(qlang)}">'
                     f'{escape(notice(ans))}</p>')
    if not ans.hits:
        parts.append(f'<p class="pq-hint">{escape(t("no_results", lang))}</p>')
    else:
        parts.append(f'<p class="pq-summary">{escape(t("n_results", lang, n=len(ans.hits), secs=seconds))}</p>')
    cards = "".join(card_html(h, hl, index, lang) for h, hl in zip(ans.hits, ans.highlights))
    parts.append(f'<ol class="pq-cards{"" if ans.answerable else " pq-nearest"}">{cards}</ol></div>')
    return "".join(parts)


def notice(ans: Answer) -> str:
    """The not-in-plan notice, in the question's language, with what the decision saw in words a
    reader can check against the passages (also printed by ``planqa ask``)."""
    lang = language_of(ans.question)
    why = [t("unknown_nouns", lang, nouns="、".join(ans.signals.named))] if ans.signals.named else []
    if ans.signals.missing_count:
        why.append(t("no_count", lang, unit=ans.signals.missing_count))
    return " ".join([t("not_in_plan", lang), *why])


def message_html(message: str, lang: str) -> str:
    """A refusal or error, as one short line the screen reader announces."""
    return f'<p class="pq-alert" role="alert" lang="{_html_lang(lang)}">{escape(message)}</p>'


def card_html(hit: Hit, highlight: str, index: Index, lang: str) -> str:
    """One result; its buttons are described by its heading, so "copy" says which passage it copies."""
    p = hit.passage
    title_id = f"pq-c{hit.rank}"
    section = index.by_id[p.section_id]
    row = table_row(section, p) if p.kind == "row" else None
    path = '<span class="pq-sep" aria-hidden="true"> › </span>'.join(escape(h) for h in display_path(p.path))
    cite = passage_citation(p, highlight, section, row)
    where = location(p.path)
    meta = f'{escape(where)} · ' if where else ""
    return (
        f'<li class="pq-card">'
        f'<div class="pq-card-head">'
        f'<span class="pq-rank" title="{escape(t("result", lang, n=hit.rank))}">{hit.rank}</span>'
        f'<div class="pq-card-title"><h3 class="pq-path" id="{title_id}" lang="zh-CN">{path}</h3>'
        f'<p class="pq-meta">{meta}<span class="pq-score">{escape(t("score", lang))} {hit.score:.4f}</span></p></div>'
        f'<button type="button" class="pq-copy" aria-describedby="{title_id}" data-cite="{escape(cite)}" '
        f'title="{escape(cite)}" data-done="{escape(t("copied", lang))}" data-fail="{escape(t("copy_failed", lang))}">'
        f'{escape(t("copy", lang))}</button></div>'
        f'<div class="pq-text" lang="zh-CN">{passage_body(p, highlight, section, row)}</div>'
        f'<details class="pq-context"><summary aria-describedby="{title_id}">{escape(t("context", lang))}</summary>'
        f'<div class="pq-context-body" tabindex="0" lang="zh-CN">{context_html(index, p.section_id, (p.start, p.end))}'
        f'</div></details></li>')


def passage_body(p: Passage, highlight: str, section: Section, row: TableRow | None) -> str:
    """The passage as read on its card: a table ``row`` under its column headers, or its lines of
    text with the first occurrence of the highlighted sentence in ``<mark>``."""
    if row is not None:
        group = f'<p class="pq-group">{escape(row.group)}</p>' if row.group else ""
        return group + table_html(section, (p.start, p.end), rows=[row])
    lines, done = [], not highlight
    for line in p.text.split("\n"):
        at = -1 if done else line.find(highlight)
        if at < 0:
            lines.append(f"<p>{escape(line)}</p>")
            continue
        done = True
        end = at + len(highlight)
        lines.append(f'<p>{escape(line[:at])}<mark class="pq-hl">{escape(line[at:end])}</mark>{escape(line[end:])}</p>')
    return "".join(lines)


def _html_lang(lang: str) -> str:
    return "en" if lang == "en" else "zh-CN"
