"""Gold sets: the shipped files validate against the plan; malformed files fail with one clear line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval.gold import GoldError, GoldItem, load_gold, strip_ws
from eval.validate import UNTITLED_TABLE, check_sections, main, validate_file
from index.paths import PROJECT_ROOT

GOLD_DIR = PROJECT_ROOT / "eval" / "gold"
CHAPTER_5_SECTION_2 = "第五章 加快构建生态文明体系 > 第二节 推进“32231”林业生态工程"


def good_item(**changes) -> dict:
    item = {"id": "T001", "question": "乡村绿化覆盖率要达到多少？", "lang": "zh", "answerable": True,
            "evidence": ["乡村绿化覆盖率达到 30%"], "section": CHAPTER_5_SECTION_2, "answer": "30%",
            "type": "number"}
    item.update(changes)
    return item


def write_lines(path: Path, *lines: str | dict) -> Path:
    rows = [json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_strip_ws_removes_every_kind_of_whitespace():
    assert strip_ws(" 3000 亿元\n台\t阶\u3000") == "3000亿元台阶"


@pytest.mark.parametrize("name", ["dev.jsonl", "extra.jsonl"])
def test_shipped_gold_sets_validate_against_the_plan(name, source):
    path = GOLD_DIR / name
    items = load_gold(path, source)
    assert validate_file(path, source).startswith(f"{path}: {len(items)} items ok (")
    assert all(item.line > 0 for item in items)


def test_extra_gold_set_has_the_promised_shape(source):
    items = load_gold(GOLD_DIR / "extra.jsonl", source)
    dev_ids = {item.id for item in load_gold(GOLD_DIR / "dev.jsonl")}
    assert len(items) >= 75
    assert sum(not item.answerable for item in items) >= 15
    assert {item.lang for item in items} == {"zh", "en"}
    assert all(item.id.startswith("X") for item in items) and not dev_ids & {item.id for item in items}
    assert all((item.type == "none") == (not item.answerable) for item in items)


def test_load_gold_returns_frozen_items_and_skips_blank_lines(tmp_path, source):
    path = write_lines(tmp_path / "ok.jsonl", good_item(), "", "   ",
                       good_item(id="T002", answerable=False, evidence=[], section="", type="none"))
    first, second = load_gold(path, source)
    assert first.evidence == ("乡村绿化覆盖率达到 30%",) and first.line == 1
    assert second.answerable is False and second.line == 4
    with pytest.raises(AttributeError):
        first.id = "other"  # type: ignore[misc]


MALFORMED = [
    ("bad JSON", '{"id": "T002", "question": "x"', ":2: not valid JSON ("),
    ("not an object", '["T002"]', ":2: expected a JSON object"),
    ("missing field", {k: v for k, v in good_item(id="T002").items() if k != "section"}, ":2: field 'section': missing"),
    ("unknown field", good_item(id="T002", note="x"), ":2: field 'note': not a gold-set field"),
    ("answerable as a string", good_item(id="T002", answerable="yes"), ":2: field 'answerable': expected true or false"),
    ("evidence as a string", good_item(id="T002", evidence="乡村绿化覆盖率达到30%"),
     ":2: field 'evidence': expected a list of strings"),
    ("blank evidence span", good_item(id="T002", evidence=[" "]), ":2: field 'evidence': expected a list of non-empty"),
    ("evidence not in the plan", good_item(id="T002", evidence=["乡村绿化覆盖率达到99%"]),
     ":2: field 'evidence': span 1 not found in the plan"),
    ("answerable without evidence", good_item(id="T002", evidence=[]), ":2: field 'evidence': an answerable item"),
    ("unanswerable with evidence", good_item(id="T002", answerable=False, section=""),
     ":2: field 'evidence': must be empty"),
    ("unanswerable with a section", good_item(id="T002", answerable=False, evidence=[]),
     ":2: field 'section': must be empty"),
    ("unknown language", good_item(id="T002", lang="fr"), ":2: field 'lang': expected one of"),
    ("empty question", good_item(id="T002", question=" "), ":2: field 'question': expected a non-empty string"),
    ("duplicate id", good_item(), ":2: field 'id': duplicate id 'T001' (first on line 1)"),
]


@pytest.mark.parametrize("line, expected", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_line_names_file_line_and_field(tmp_path, source, line, expected):
    path = write_lines(tmp_path / "bad.jsonl", good_item(), line)
    with pytest.raises(GoldError) as err:
        load_gold(path, source)
    message = str(err.value)
    assert message.startswith(f"{path}{expected}")
    assert "\n" not in message


@pytest.mark.parametrize("content", [b"", b"\n  \n"], ids=["empty", "blank lines only"])
def test_empty_file_is_an_error(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(GoldError, match="no gold items"):
        load_gold(path)


def test_non_utf8_bytes_name_the_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(good_item()).encode() + b"\n" + "{\"id\": \"caf\xe9\"}".encode("latin-1") + b"\n")
    with pytest.raises(GoldError) as err:
        load_gold(path)
    assert str(err.value) == f"{path}:2: not valid UTF-8 (byte 0xe9)"


def test_missing_file_is_a_gold_error(tmp_path):
    with pytest.raises(GoldError, match="cannot read the file"):
        load_gold(tmp_path / "nope.jsonl")


def test_evidence_is_checked_only_when_the_source_is_given(tmp_path):
    path = write_lines(tmp_path / "ok.jsonl", good_item(evidence=["不在规划里的话"]))
    assert load_gold(path)[0].evidence == ("不在规划里的话",)


def item(section: str, answerable: bool = True) -> GoldItem:
    return GoldItem("T001", "q", "zh", answerable, ("x",) if answerable else (), section, "a", "number", line=7)


@pytest.mark.parametrize("section", [
    CHAPTER_5_SECTION_2,
    "第一章 开启全面建设社会主义现代化新乡新征程 > 第五节 发展目标 > " + UNTITLED_TABLE,
    "第五章 加快构建生态文明体系 > 第三节 建设“五湖四河两渠”水生态体系 > 专栏5-3：“五湖四河两渠”水系连通工程",
])
def test_section_whose_last_heading_is_a_plan_line_passes(source, section):
    check_sections([item(section)], source, "x.jsonl")


def test_section_with_an_invented_heading_names_line_and_field(source):
    with pytest.raises(GoldError) as err:
        check_sections([item("第五章 加快构建生态文明体系 > 第九节 不存在的一节")], source, "x.jsonl")
    assert str(err.value).startswith("x.jsonl:7: field 'section': last heading '第九节 不存在的一节'")


def test_unanswerable_items_have_no_section_to_check(source):
    check_sections([item("", answerable=False)], source, "x.jsonl")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "eval.validate", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)


def test_cli_prints_a_summary_for_a_good_file(tmp_path):
    path = write_lines(tmp_path / "ok.jsonl", good_item(),
                       good_item(id="T002", lang="en", answerable=False, evidence=[], section="", type="none"))
    result = run_cli(str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{path}: 2 items ok (1 answerable, 1 unanswerable, zh 1, en 1)\n"


@pytest.mark.parametrize("args, expected", [
    (["{bad}"], "{bad}:2: field 'answerable': expected true or false"),
    (["{ok}", "--source", "{missing}"], "{missing}: cannot read the plan"),
    (["{section}"], "{section}:1: field 'section': last heading"),
], ids=["bad gold line", "missing plan", "invented heading"])
def test_cli_error_is_one_line_on_stderr_with_exit_2(tmp_path, args, expected):
    paths = {"bad": write_lines(tmp_path / "bad.jsonl", good_item(), good_item(id="T002", answerable="yes")),
             "ok": write_lines(tmp_path / "ok.jsonl", good_item()),
             "section": write_lines(tmp_path / "section.jsonl", good_item(section="第五章 > 第九节 不存在")),
             "missing": tmp_path / "no-plan.txt"}
    result = run_cli(*(a.format(**paths) for a in args))
    assert result.returncode == 2
    assert result.stderr.startswith(expected.format(**paths))
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_cli_checks_every_file_and_fails_if_any_is_bad(tmp_path, capsys):
    ok = write_lines(tmp_path / "ok.jsonl", good_item())
    bad = tmp_path / "empty.jsonl"
    bad.write_text("", encoding="utf-8")
    assert main([str(bad), str(ok)]) == 2
    out, err = capsys.readouterr()
    assert out.startswith(f"{ok}: 1 items ok") and err.startswith(f"{bad}: no gold items")
