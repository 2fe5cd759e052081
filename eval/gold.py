"""Gold sets for the retrieval eval: read one JSON object a line and check it on the way in.

A gold item is a question with the verbatim spans of the plan that answer it (see the gold-set
contract in DESIGN.md). :func:`load_gold` stops at the first problem and raises :class:`GoldError`,
whose message is one line naming the file, the line and the field, e.g.::

    extra.jsonl:12: field 'evidence': expected a list of strings, got "乡村绿化覆盖率达到30%"
    dev.jsonl:3: not valid JSON (Expecting ',' delimiter)

:func:`strip_ws` is the one place the hit rule's "whitespace does not count" lives.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELDS = ("id", "question", "lang", "answerable", "evidence", "section", "answer", "type")
LANGS = ("zh", "en")
_WHITESPACE = re.compile(r"\s+")


class GoldError(ValueError):
    """A gold file that cannot be used. The message is one line: ``FILE:LINE: field 'NAME': problem``."""


@dataclass(frozen=True)
class GoldItem:
    """One question of a gold set.

    ``line`` is the 1-based line of the file the item was read from (0 when built in code); it does
    not take part in equality.

    >>> GoldItem("X001", "乡村绿化覆盖率要达到多少？", "zh", True, ("乡村绿化覆盖率达到30%",),
    ...          "第五章 加快构建生态文明体系 > 第二节 推进“32231”林业生态工程", "30%", "number").lang
    'zh'
    """

    id: str
    question: str
    lang: str
    answerable: bool
    evidence: tuple[str, ...]
    section: str
    answer: str
    type: str
    line: int = field(default=0, compare=False)


def strip_ws(s: str) -> str:
    """Remove all whitespace, the form in which evidence is matched against the plan.

    >>> strip_ws("全市生产总值迈上 3000 亿元\\n台阶")
    '全市生产总值迈上3000亿元台阶'
    """
    return _WHITESPACE.sub("", s)


def load_gold(path: Path, source: str | None = None) -> list[GoldItem]:
    """Read and check a gold file; with ``source`` (the plan's text) also check every evidence span.

    Blank lines are skipped. Raises :class:`GoldError` on the first problem: unreadable or non-UTF-8
    file, a line that is not a JSON object, a missing, unknown or ill-typed field, a duplicate id,
    evidence that does not occur in ``source`` (whitespace ignored), or a file with no items.

    >>> items = load_gold(Path("eval/gold/dev.jsonl"), Path("data/xinxiang-14th-five-year-plan.txt").read_text())
    >>> items[0].id, items[0].answerable
    ('D001', True)
    """
    name = str(path)
    plan = strip_ws(source) if source is not None else None
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for lineno, text in enumerate(_read_text(path).splitlines(), 1):
        if not text.strip():
            continue
        where = f"{name}:{lineno}"
        item = _to_item(_parse_object(text, where), where, lineno)
        if item.id in seen:
            raise GoldError(f"{where}: field 'id': duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = lineno
        if plan is not None:
            _check_in_plan(item.evidence, plan, where)
        items.append(item)
    if not items:
        raise GoldError(f"{name}: no gold items (the file is empty)")
    return items


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise GoldError(f"{path}: cannot read the file ({e.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise GoldError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[e.start]:02x})") from None


def _parse_object(text: str, where: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise GoldError(f"{where}: not valid JSON ({e.msg})") from None
    if not isinstance(obj, dict):
        raise GoldError(f"{where}: expected a JSON object, got {_json_type(obj)}")
    return obj


def _to_item(obj: dict[str, Any], where: str, lineno: int) -> GoldItem:
    for name in FIELDS:
        if name not in obj:
            raise GoldError(f"{where}: field '{name}': missing")
    for name in obj:
        if name not in FIELDS:
            raise GoldError(f"{where}: field '{name}': not a gold-set field (expected {', '.join(FIELDS)})")
    for name in ("id", "question", "answer", "type"):
        _require(obj[name], isinstance(obj[name], str) and bool(obj[name].strip()), "a non-empty string",
                 where, name)
    _require(obj["lang"], obj["lang"] in LANGS, "one of " + ", ".join(map(json.dumps, LANGS)), where, "lang")
    _require(obj["answerable"], isinstance(obj["answerable"], bool), "true or false", where, "answerable")
    _require(obj["section"], isinstance(obj["section"], str), "a string", where, "section")
    evidence = _evidence(obj["evidence"], where)
    _check_answerable(obj["answerable"], evidence, obj["section"], where)
    return GoldItem(obj["id"], obj["question"], obj["lang"], obj["answerable"], evidence,
                    obj["section"], obj["answer"], obj["type"], lineno)


def _evidence(value: Any, where: str) -> tuple[str, ...]:
    _require(value, isinstance(value, list), "a list of strings", where, "evidence")
    for i, span in enumerate(value, 1):
        if not isinstance(span, str) or not strip_ws(span):
            raise GoldError(f"{where}: field 'evidence': expected a list of non-empty strings "
                            f"(span {i} is {_show(span)})")
    return tuple(value)


def _check_answerable(answerable: bool, evidence: tuple[str, ...], section: str, where: str) -> None:
    if answerable and not evidence:
        raise GoldError(f"{where}: field 'evidence': an answerable item needs at least one span")
    if answerable and not section.strip():
        raise GoldError(f"{where}: field 'section': an answerable item needs its heading path")
    if not answerable and evidence:
        raise GoldError(f"{where}: field 'evidence': must be empty when answerable is false")
    if not answerable and section:
        raise GoldError(f"{where}: field 'section': must be empty when answerable is false")


def _check_in_plan(evidence: tuple[str, ...], plan: str, where: str) -> None:
    for i, span in enumerate(evidence, 1):
        if strip_ws(span) not in plan:
            raise GoldError(f"{where}: field 'evidence': span {i} not found in the plan "
                            f"(whitespace ignored): {_show(span)}")


def _require(value: Any, ok: bool, expected: str, where: str, name: str) -> None:
    if not ok:
        raise GoldError(f"{where}: field '{name}': expected {expected}, got {_show(value)}")


def _show(value: Any) -> str:
    """A short one-line rendering of a JSON value for an error message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
