"""The feedback log: append-only, safe under concurrent votes, exported as gold-set candidates."""
from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from qa.cli import main
from ui.feedback import FeedbackStore, Vote, export_candidates, read_votes


def vote(verdict: str, question: str = "乡村绿化覆盖率要达到多少？") -> Vote:
    return Vote(question, "zh", True, "hybrid", ("s0046-t002", "s0011-r021"),
                "第五章 加快构建生态文明体系 > 第二节 推进“32231”林业生态工程", "乡村绿化覆盖率达到30%。", verdict)


def test_votes_are_kept_in_the_order_they_came(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add(vote("helpful", "a"))
    store.add(vote("not_helpful", "b"))
    rows = read_votes(store.path)
    assert [(r["question"], r["verdict"]) for r in rows] == [("a", "helpful"), ("b", "not_helpful")]
    assert json.loads(rows[0]["passage_ids"]) == ["s0046-t002", "s0011-r021"]
    assert rows[0]["at"].endswith("Z")


def test_the_log_refuses_to_change_or_forget_a_vote(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add(vote("helpful"))
    with sqlite3.connect(store.path) as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE feedback SET verdict = 'not_helpful'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM feedback")
    assert [r["verdict"] for r in read_votes(store.path)] == ["helpful"]


def test_concurrent_votes_are_all_kept(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda i: store.add(vote("helpful", f"q{i}")), range(200)))
    assert len(set(ids)) == 200
    assert sorted(r["question"] for r in read_votes(store.path)) == sorted(f"q{i}" for i in range(200))


def test_an_unknown_verdict_is_refused():
    with pytest.raises(ValueError, match="verdict"):
        vote("meh")


def test_export_lists_not_helpful_first_and_proposes_evidence_only_for_helpful(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add(vote("helpful", "有帮助的问题"))
    store.add(vote("not_helpful", "没帮助的问题"))
    out = tmp_path / "candidates.jsonl"
    assert export_candidates(store.path, out) == (1, 1)
    bad, good = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (bad["question"], bad["evidence"], bad["section"]) == ("没帮助的问题", [], "")
    assert bad["feedback"]["verdict"] == "not_helpful"
    assert good["question"] == "有帮助的问题"
    assert good["evidence"] == ["乡村绿化覆盖率达到30%。"]
    assert good["section"].endswith("第二节 推进“32231”林业生态工程")
    assert {"id", "question", "lang", "answerable", "evidence", "section", "answer", "type"} <= good.keys()


def test_cli_exports_the_candidates(tmp_path, capsys):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add(vote("not_helpful"))
    out = tmp_path / "out" / "candidates.jsonl"
    assert main(["feedback", "export", "--db", str(store.path), "--out", str(out)]) == 0
    assert "1 not-helpful and 0 helpful" in capsys.readouterr().out
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_cli_without_a_log_says_so_in_one_line(tmp_path, capsys):
    code = main(["feedback", "export", "--db", str(tmp_path / "missing.sqlite3"), "--out", str(tmp_path / "x.jsonl")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("planqa: error: no feedback log at") and err.count("\n") == 1
    assert not (tmp_path / "missing.sqlite3").exists()
