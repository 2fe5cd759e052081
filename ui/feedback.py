"""Helpful / not-helpful votes on answers: an append-only SQLite log, and its export as gold candidates.

Every vote is one INSERT on its own short-lived connection (WAL journal, busy timeout), so the app's
worker threads, or several app processes, can vote at once; triggers refuse UPDATE and DELETE, so
the log is append-only in the file itself, not only by convention.

>>> store = FeedbackStore(tmp / "feedback.sqlite3")                                # doctest: +SKIP
>>> store.add(Vote("乡村绿化覆盖率要达到多少？", "zh", True, "hybrid", ("s0046-t002",),
...                "第五章 … > 第二节 …", "乡村绿化覆盖率达到30%。", "helpful"))      # doctest: +SKIP
>>> export_candidates(tmp / "feedback.sqlite3", tmp / "candidates.jsonl")          # doctest: +SKIP
(0, 1)
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from index.paths import cache_dir

VERDICTS = ("helpful", "not_helpful")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('helpful', 'not_helpful')),
    question TEXT NOT NULL,
    lang TEXT NOT NULL,
    answerable INTEGER NOT NULL,
    retriever TEXT NOT NULL,
    passage_ids TEXT NOT NULL,
    section TEXT NOT NULL,
    highlight TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
CREATE TRIGGER IF NOT EXISTS feedback_no_delete BEFORE DELETE ON feedback
BEGIN SELECT RAISE(ABORT, 'feedback is append-only'); END;
"""


class FeedbackError(RuntimeError):
    """The feedback log cannot be read; the message says why, in one line."""


@dataclass(frozen=True)
class Vote:
    """One verdict on one answer: what was asked, what was shown (best passage first), and the verdict."""

    question: str
    lang: str
    answerable: bool
    retriever: str
    passage_ids: tuple[str, ...]
    section: str  # the best passage's heading path, " > "-joined
    highlight: str  # the best passage's highlighted sentence
    verdict: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, not {self.verdict!r}")


def default_db_path() -> Path:
    return cache_dir() / "feedback.sqlite3"


class FeedbackStore:
    """The append-only vote log in one SQLite file (created with its folder if missing)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con:
            con.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def add(self, vote: Vote) -> int:
        """Append ``vote``; return its row id."""
        with closing(self._connect()) as con:
            cur = con.execute(
                "INSERT INTO feedback (at, verdict, question, lang, answerable, retriever, passage_ids,"
                " section, highlight) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), vote.verdict, vote.question, vote.lang,
                 int(vote.answerable), vote.retriever, json.dumps(list(vote.passage_ids)), vote.section,
                 vote.highlight))
            return int(cur.lastrowid)


def read_votes(db: Path) -> list[dict]:
    """Every vote in the log at ``db``, oldest first; :class:`FeedbackError` if there is no readable log."""
    db = Path(db)
    if not db.is_file():
        raise FeedbackError(f"no feedback log at {db}")
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)) as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("SELECT * FROM feedback ORDER BY id")]
    except sqlite3.Error as exc:
        raise FeedbackError(f"cannot read the feedback log at {db}: {exc}") from exc


def candidate(vote: dict) -> dict:
    """A vote as a gold-set item to review: the gold fields, plus the ``feedback`` it came from.

    A helpful vote proposes the best passage's sentence as evidence; a not-helpful one leaves
    evidence, section and answer for the reviewer (the plan may not answer it at all).
    """
    helpful = vote["verdict"] == "helpful"
    return {
        "id": f"F{vote['id']:05d}",
        "question": vote["question"],
        "lang": vote["lang"],
        "answerable": bool(vote["answerable"]) if helpful else False,
        "evidence": [vote["highlight"]] if helpful and vote["highlight"] else [],
        "section": vote["section"] if helpful else "",
        "answer": "",
        "type": "",
        "feedback": {"verdict": vote["verdict"], "at": vote["at"], "retriever": vote["retriever"],
                     "passage_ids": json.loads(vote["passage_ids"]),
                     "app_said_answerable": bool(vote["answerable"])},
    }


def export_candidates(db: Path, out: Path) -> tuple[int, int]:
    """Write the not-helpful votes, then the helpful ones, to ``out`` as JSONL; return both counts."""
    votes = read_votes(db)
    bad = [v for v in votes if v["verdict"] == "not_helpful"]
    good = [v for v in votes if v["verdict"] == "helpful"]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for vote in bad + good:
            f.write(json.dumps(candidate(vote), ensure_ascii=False) + "\n")
    return len(bad), len(good)
