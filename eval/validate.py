"""Check gold files against the plan: ``python -m eval.validate FILE [FILE...] [--source PLAN]``.

Each good file gets one line on stdout; a bad file gets its one-line error on stderr and the exit
status is 2 (no traceback)::

    $ python -m eval.validate eval/gold/dev.jsonl
    eval/gold/dev.jsonl: 60 items ok (55 answerable, 5 unanswerable, zh 54, en 6)

Beyond :func:`eval.gold.load_gold`, the last heading of each answerable item's ``section`` must be
a line of the plan (whitespace ignored), or ``主要指标表``, the DESIGN's name for the untitled table.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.gold import GoldError, GoldItem, load_gold, strip_ws
from index.parse import UNTITLED_TABLE
from index.paths import DEFAULT_SOURCE

PATH_SEPARATOR = " > "


def check_sections(items: list[GoldItem], source: str, name: str) -> None:
    """Raise :class:`GoldError` unless every answerable item's last heading is a line of ``source``.

    "第二章 加快构建现代创新体系 > 第二节 加强创新载体平台建设" passes because the plan has the line
    "第二节 加强创新载体平台建设"; "… > 第五节 发展目标 > 主要指标表" passes by name.
    """
    lines = {strip_ws(line) for line in source.splitlines()}
    for item in items:
        last = item.section.split(PATH_SEPARATOR)[-1]
        if item.answerable and last != UNTITLED_TABLE and strip_ws(last) not in lines:
            raise GoldError(f"{name}:{item.line}: field 'section': last heading {last!r} is not a line of the plan")


def validate_file(path: Path, source: str) -> str:
    """Load and check one gold file; return its summary line or raise :class:`GoldError`.

    >>> validate_file(Path("eval/gold/dev.jsonl"), DEFAULT_SOURCE.read_text("utf-8"))
    'eval/gold/dev.jsonl: 60 items ok (55 answerable, 5 unanswerable, zh 54, en 6)'
    """
    items = load_gold(path, source)
    check_sections(items, source, str(path))
    return summary(path, items)


def summary(path: Path, items: list[GoldItem]) -> str:
    """``FILE: N items ok (A answerable, U unanswerable, zh X, en Y)``."""
    answerable = sum(item.answerable for item in items)
    zh = sum(item.lang == "zh" for item in items)
    return (f"{path}: {len(items)} items ok ({answerable} answerable, {len(items) - answerable} unanswerable, "
            f"zh {zh}, en {len(items) - zh})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.validate", description="Check gold-set files.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="gold-set JSONL file")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, metavar="PLAN",
                        help=f"the plan's text (default: {DEFAULT_SOURCE})")
    args = parser.parse_args(argv)
    try:
        source = args.source.read_bytes().decode("utf-8")
    except OSError as e:
        print(f"{args.source}: cannot read the plan ({e.strerror})", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"{args.source}: the plan is not valid UTF-8", file=sys.stderr)
        return 2
    status = 0
    for path in args.files:
        try:
            print(validate_file(path, source))
        except GoldError as e:
            print(e, file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())
