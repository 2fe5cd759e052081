"""The planqa command as a user runs it: the JSON shape of ask, the eval metrics, one-line errors."""
from __future__ import annotations

import json

import pytest

from eval.gold import strip_ws
from qa.cli import main

PASSAGE_KEYS = {"rank", "score", "section_path", "text", "highlight", "start", "end"}
EVAL_KEYS = {"n", "recall@1", "recall@5", "recall@10", "mrr@10", "section_recall@5", "highlight_on_evidence",
             "noanswer_precision", "noanswer_recall", "latency_ms_p50", "latency_ms_p95", "by_lang", "by_type"}


def test_ask_json_cites_the_passage_that_answers(planqa, source):
    out = planqa("ask", "到2025年森林覆盖率目标是多少", "--json", "--k", "3")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert set(answer) == {"question", "answerable", "passages"} and answer["answerable"] is True
    assert [p["rank"] for p in answer["passages"]] == [1, 2, 3]
    for p in answer["passages"]:
        assert set(p) == PASSAGE_KEYS and p["highlight"] in p["text"]
    cited = [strip_ws(source[p["start"]:p["end"]]) for p in answer["passages"]]
    assert any("森林覆盖率（%）23.1>26.0" in c or "森林覆盖率达到26%" in c for c in cited)


def test_ask_says_when_the_plan_seems_not_to_answer_and_why(capsys):
    assert main(["ask", "新乡出租车起步价是多少钱？", "-k", "1"]) == 0
    notice, _, rest = capsys.readouterr().out.partition("\n\n")
    assert notice.startswith("规划中似乎没有涉及这个问题") and "起步价" in notice
    assert rest.startswith("[1] "), "the nearest passage still follows"


def test_ask_prints_a_table_row_as_column_value_pairs(capsys):
    assert main(["ask", "每千人口注册护士数2025年目标", "-k", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == ["主要指标表", "【〔三、民生福祉〕指标 12 每千人口卫生技术人员数 每千人口注册护士数(人)；"
                          "2020年基数 2.89；2025年目标 >4.3；五年年均增长或累计 —】"]


def test_ask_chapter_limits_the_search_to_that_chapter(capsys):
    assert main(["ask", "重点项目", "--chapter", "5", "-k", "4", "--json"]) == 0
    passages = json.loads(capsys.readouterr().out)["passages"]
    assert len(passages) == 4
    assert all(p["section_path"].startswith("第五章 加快构建生态文明体系") for p in passages)


def test_eval_json_has_the_metric_keys_and_breakdowns(capsys):
    assert main(["eval", "--json", "--retriever", "bm25"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert EVAL_KEYS <= set(metrics) and metrics["n"] == 60
    assert set(metrics["by_lang"]) == {"zh", "en"} and "table" in metrics["by_type"]
    assert set(metrics["by_lang"]["zh"]) >= EVAL_KEYS - {"by_lang", "by_type"}


def test_eval_compare_writes_a_report(tmp_path, capsys):
    assert main(["eval", "--compare", "--report", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert all(f"| {name} |" in table for name in ("bm25", "dense", "hybrid"))
    report = (tmp_path / "report.md").read_text()
    assert "## Misses" in report and "## Highlights of `hybrid` off the evidence" in report
    wrong = report.split("## Wrong answerability decisions of `hybrid`")[1].split("\n## ")[0]
    rows = [line for line in wrong.splitlines() if line.startswith("| ") and not line.startswith("| id ")]
    assert "| English rule |" in wrong
    assert all(line.count(" | ") == 7 and line.split(" | ")[3] in ("yes", "no") for line in rows)
    assert (tmp_path / "recall_at_k.png").stat().st_size > 1000


@pytest.mark.parametrize("args, message", [
    (["ask", ""], "the question is empty"),
    (["ask", "   \t "], "the question is empty"),
    (["ask", "森" * 1001], "too long"),
    (["ask", "森林\x07覆盖率"], "control"),
    (["ask", "问题", "--k", "0"], "--k must be"),
    (["ask", "问题", "--chapter", "16"], "the plan has no chapter '16'"),
    (["index", "--source", "/nonexistent/plan.txt"], "source file not found"),
])
def test_bad_input_gets_one_line_and_exit_2(planqa, args, message):
    out = planqa(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr and out.stderr.count("\n") == 1


def test_non_utf8_source_is_refused_without_touching_the_index(planqa, tmp_path):
    bad = tmp_path / "plan.txt"
    bad.write_bytes("第一章 总则\n".encode("gbk"))
    out = planqa("index", "--source", str(bad), "--index-dir", str(tmp_path / "index"))
    assert out.returncode == 2 and "not UTF-8" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "index").exists()
