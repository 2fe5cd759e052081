"""Hostile and odd questions, through the Python API, the command line and the ``/ask`` endpoint:
each gets a clear one-line error or an honest answer (the plan's passages, and "the plan does not
answer this" when it does not), never a crash or a traceback. Malformed gold files given to
``planqa eval`` fail the same way (the loader's messages are tested in test_gold.py)."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from bench.loadtest import call_ask
from eval.gold import strip_ws
from qa.answer import QuestionError, answer, check_chapter
from ui.ask import Limits

pytestmark = pytest.mark.slow

FOREST = "森林覆盖率是多少"
ERROR, NO_ANSWER, ANSWER = "error", "no answer", "answer"
HOSTILE = [  # (name, question, what an honest planqa does)
    ("empty", "", ERROR),
    ("whitespace", " \t\n\u3000 ", ERROR),
    ("zero-width characters only", "\u200b\u200d\ufeff", ERROR),
    ("one megabyte", "规划" * 2**19, ERROR),
    ("NUL", "森林\x00覆盖率", ERROR),
    ("terminal escape", "\x1b[31m森林覆盖率", ERROR),
    ("lone surrogate", "森林\ud800", ERROR),
    ("private-use character", "\ue000森林", ERROR),
    ("Chinese punctuation only", "？？！！。。……", NO_ANSWER),
    ("ASCII punctuation only", "?!.,;:'\"()[]{}", NO_ANSWER),
    ("SQL injection", "'; DROP TABLE passages; --", NO_ANSWER),
    ("SQL tautology", "1' OR '1'='1", NO_ANSWER),
    ("script tag", "<script>alert('x')</script>", NO_ANSWER),
    ("event-handler attribute", '<img src=x onerror="alert(1)">', NO_ANSWER),
    ("emoji only", "🌲🌲🌲", NO_ANSWER),
    ("astral characters only", "𠀀𪚥", NO_ANSWER),
    ("combining marks only", "\u0301\u0301", NO_ANSWER),
    ("right-to-left marks around a question", f"\u202e{FOREST}\u202c", ANSWER),
    ("markup around a question", f"<b>{FOREST}</b>", ANSWER),
    ("mixed scripts", "森林 coverage ратио 🌲 ٢٠٢٥ 目標", ANSWER),
]
CASES = [pytest.param(question, expected, id=name) for name, question, expected in HOSTILE]


def check_honest(result: dict, expected: str, source: str) -> None:
    """An answer in the ``to_json`` shape: real passages of the plan, and the right verdict."""
    assert result["answerable"] is (expected == ANSWER)
    assert result["passages"], "the nearest passages are still shown"
    for p in result["passages"]:
        assert 0 <= p["start"] < p["end"] <= len(source) and p["highlight"] in p["text"]
    if expected == ANSWER:
        cited = "".join(source[p["start"]:p["end"]] for p in result["passages"])
        assert "森林" in strip_ws(cited)


def check_message(message: str) -> None:
    """A refusal a visitor can read: one short line, no internals."""
    assert message and "\n" not in message.strip() and len(message) < 200, message
    assert not re.search(r"Traceback|File \"|Error:|出了点问题|went wrong", message), message


# -- the Python API ----------------------------------------------------------------------------
@pytest.mark.parametrize("question, expected", CASES)
def test_python_api_answers_honestly_or_refuses_in_one_line(engine, question, expected):
    if expected == ERROR:
        with pytest.raises(QuestionError) as refused:
            answer(engine.retriever, question)
        check_message(str(refused.value))
        return
    result = answer(engine.retriever, question)
    check_honest(json.loads(json.dumps(result.to_json())), expected, engine.source)


def test_invisible_marks_do_not_change_the_answer(engine):
    marked = answer(engine.retriever, f"\u202e{FOREST}\u200f\u202c").to_json()
    assert marked == answer(engine.retriever, FOREST).to_json()


@pytest.mark.parametrize("question", [None, 42, b"\xe6\xa3\xae\xe6\x9e\x97", ["森林"]], ids=repr)
def test_a_question_that_is_not_text_is_refused(engine, question):
    with pytest.raises(QuestionError, match="must be text"):
        answer(engine.retriever, question)


@pytest.mark.parametrize("k", [0, -1, 51, 10**9, 2.5, "5", True, None], ids=repr)
def test_k_out_of_range_or_not_a_whole_number_is_refused(engine, k):
    with pytest.raises(QuestionError, match="k must be a whole number from 1 to 50"):
        answer(engine.retriever, FOREST, k=k)


@pytest.mark.parametrize("chapter", ["第九十九章", "'; DROP TABLE passages; --", "<script>alert(1)</script>"])
def test_an_unknown_chapter_finds_nothing_rather_than_everything(engine, chapter):
    result = answer(engine.retriever, FOREST, chapter=chapter)
    assert result.hits == [] and result.answerable is False


@pytest.mark.parametrize("name", ["5", 5, " 5 ", "第五章", "第五章 加快构建生态文明体系"], ids=repr)
def test_a_chapter_is_named_by_its_number_ordinal_or_heading(engine, name):
    assert check_chapter(engine.retriever, name) == "第五章 加快构建生态文明体系"


@pytest.mark.parametrize("name", ["0", "16", "²", "-1", 5.0, True, ["第五章"], "第五", "<script>alert(1)</script>"], ids=repr)
def test_a_chapter_name_that_names_none_is_refused(engine, name):
    with pytest.raises(QuestionError, match="the plan has no chapter"):
        check_chapter(engine.retriever, name)


@pytest.mark.parametrize("name", ["", None])
def test_no_chapter_means_the_whole_plan(engine, name):
    assert check_chapter(engine.retriever, name) is None


# -- the command line --------------------------------------------------------------------------
def one_line_error(done: subprocess.CompletedProcess) -> str:
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and err.startswith("planqa: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("argument, words", [
    (b"\xff\xfe", "control or unassigned character"),  # not UTF-8: Python keeps the bytes as surrogates
    ("\u200b\u200d", "the question is empty"),
    ("规" * 43_000, "too long"),  # ~128 KiB: the most one argument can hold (so 1 MB cannot come this way)
], ids=["bytes that are not UTF-8", "zero-width characters only", "largest argument"])
def test_command_line_refuses_in_one_line_before_loading_anything(planqa, argument, words):
    assert words in one_line_error(planqa("ask", argument, text=False, timeout=60))


def test_command_line_answers_an_injection_string_honestly(planqa, source):
    question = "<script>alert('x')</script>'; DROP TABLE passages; --"
    done = planqa("ask", question, "--json", text=False)
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert result["question"] == question
    check_honest(result, NO_ANSWER, source)


def gold_line(**changes) -> str:
    item = {"id": "T1", "question": "乡村绿化覆盖率要达到多少？", "lang": "zh", "answerable": True,
            "evidence": ["乡村绿化覆盖率达到 30%"], "section": "第五章 加快构建生态文明体系", "answer": "30%",
            "type": "number"}
    return json.dumps({**item, **changes}, ensure_ascii=False)


@pytest.mark.parametrize("lines, where", [
    ([gold_line(), '{"id": "T2", "question": "x"'], ":2: not valid JSON"),
    (["{}"], ":1: field 'id': missing"),
    ([gold_line(answerable="yes")], ":1: field 'answerable': expected true or false"),
    ([gold_line(evidence=["不在规划里的一句话"])], ":1: field 'evidence': span 1 not found in the plan"),
], ids=["bad JSON", "missing field", "wrong type", "evidence not in the plan"])
def test_eval_with_a_malformed_gold_file_names_the_line_and_field(planqa, tmp_path, lines, where):
    gold = tmp_path / "bad.jsonl"
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert one_line_error(planqa("eval", "--gold", str(gold), text=False, timeout=60)).startswith(f"planqa: error: {gold}{where}")


# -- the /ask endpoint -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app_url(engine, run_app):
    with run_app(engine, Limits(rate_per_minute=10_000)) as (url, _):
        yield url


@pytest.mark.parametrize("question, expected", CASES)
def test_ask_endpoint_answers_honestly_or_refuses_in_one_line(app_url, engine, question, expected):
    status, result = call_ask(app_url, [question, 5, "hybrid", ""], "198.18.0.1", timeout=60)
    if expected == ERROR:
        assert status == "error", result
        check_message(result)
        return
    assert status == "complete", result
    check_honest(result, expected, engine.source)
