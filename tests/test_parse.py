"""The plan's tree: its parts counted by hand from the document, and the PDF artifacts repaired."""
from __future__ import annotations

from collections import Counter

import pytest

from eval.gold import strip_ws
from index.parse import parse
from index.schema import Section

# Counted in the document: 15 chapters 第一章…第十五章, 65 sections 第X节, the two subsections
# （一）（二） of 第一章第五节, 24 boxes 专栏 2-1…10-1, and two tables.
# 表 1-1 has 34 indicator rows under 4 categories 一、…四、 (indicators 1–27, of which 6, 24, 25
# and 26 have two lines and 27 has four); the untitled 2025 table has 24 indicator rows under 5
# categories (indicators 1–22, of which 10 and 12 have two lines).
EXPECTED = {"front": 2, "chapter": 15, "section": 65, "subsection": 2, "box": 24, "table": 2}


def by_title(sections: list[Section], start: str) -> Section:
    return next(s for s in sections if s.title.startswith(start))


def all_text(section: Section) -> str:
    return "\n".join(p.text for p in section.paragraphs)


def test_counts_of_chapters_sections_boxes_tables(sections):
    assert Counter(s.kind for s in sections) == EXPECTED


def test_table_rows_and_headers(sections):
    t11 = by_title(sections, "表 1-1")
    main = by_title(sections, "主要指标表")
    assert len(t11.rows) == 34 and len({r.group for r in t11.rows}) == 4
    assert len(main.rows) == 24 and len({r.group for r in main.rows}) == 5
    assert main.rows[0].group == "一、经济发展" and main.rows[-1].group == "五、安全保障"
    assert t11.columns[0] == "指标名称" and "“十三五”完成情况 2020年预计" in t11.columns
    assert main.path[:2] == ("第一章 开启全面建设社会主义现代化新乡新征程", "第五节 发展目标")


def test_repeated_table_header_is_not_a_row(sections):
    for table in (by_title(sections, "表 1-1"), by_title(sections, "主要指标表")):
        assert not [r for r in table.rows if r.cells[0].replace(" ", "") in ("指标名称", "指标")]


def test_row_continuing_a_merged_cell_carries_its_label(sections):
    households = next(r for r in by_title(sections, "表 1-1").rows if r.cells[0].endswith("户籍人口城镇化率（%）"))
    assert households.cells[0] == "6.城镇化率 户籍人口城镇化率（%）" and households.group == "一、经济发展"


def test_cells_stand_under_their_columns(sections):
    """A two-level indicator's name takes one column, and a row short of cells keeps its attribute last."""
    t11, main = by_title(sections, "表 1-1"), by_title(sections, "主要指标表")
    for table in (t11, main):
        assert all(len(r.cells) <= len(table.columns) for r in table.rows)
    doctors = next(r for r in main.rows if "每千人口拥有执业(助理)医师数(人)" in r.cells[1])
    assert dict(zip(main.columns, doctors.cells))["2025年目标"] == "3.7"
    forest = next(r for r in t11.rows if "森林覆盖率(%)" in r.cells[0])
    assert dict(zip(t11.columns, forest.cells)) == {
        "指标名称": "24.森林增长 森林覆盖率(%)", "2015年基数": "22.32", "“十三五”规划目标 2020年": "23",
        "“十三五”规划目标 年均增长(%)": "—", "“十三五”完成情况 2020年预计": "23.1",
        "“十三五”完成情况 年均增长(%)": "", "指标属性": "约束性"}


def test_page_break_inside_sentence_is_joined(sections):
    chapter1 = by_title(sections, "第一章")
    assert "奋力开启现代化新乡建设新局面。" in all_text(chapter1)
    box = by_title(sections, "专栏 10-1")
    assert any(p.text.startswith("合河文化公园 ") and p.text.endswith("码头。") for p in box.paragraphs)


def test_spaces_between_chinese_and_digits_are_removed(sections):
    assert "全市生产总值迈上3000亿元台阶" in all_text(by_title(sections, "第一节 决胜全面建成小康社会"))


def test_cleaned_text_maps_back_to_the_source(source, sections):
    for s in sections:
        for p in s.paragraphs + ([s.heading] if s.heading else []):
            assert strip_ws("".join(source[i] for i in p.offsets)) == strip_ws(p.text)


def test_box_written_without_space_and_box_ends_where_section_text_resumes(sections):
    box53 = by_title(sections, "专栏5-3")
    assert box53.kind == "box" and [p.text[:2] for p in box53.paragraphs] == ["五湖", "四河", "两渠"]
    box42 = by_title(sections, "专栏 4-2")
    assert [p.text[:2] for p in box42.paragraphs] == ["三带", "三区", "两城", "十镇"]
    parent = next(s for s in sections if s.id == box42.parent)
    assert any(p.text.startswith("打造中心城区核心增长极。") for p in parent.paragraphs)


def test_front_matter_and_closing_lines_belong_to_the_notice(sections):
    notice, plan = [s for s in sections if s.kind == "front"]
    assert notice.title.endswith("远景目标纲要的通知") and plan.title.endswith("远景目标纲要")
    texts = [p.text for p in notice.paragraphs]
    assert "新政〔2021〕2号" in texts and "主办：市发改委" in texts and texts[-1] == "2021年6月29日印发"
    assert all_text(plan).startswith("新乡市国民经济和社会发展的第十四个五年（2021—2025）规划")


ANOTHER_PLAN = """
某某市国民经济和社会发展第十四个五年规划纲要

本纲要阐明全市战略意图。

第一章 发展基础

“十三五”时期，全市经济总量达到 1200 亿元，城镇化率提高到 60%，创新能力明显增强，生态环境持续

改善。

第一节 主要成就

综合实力显著增强。

专栏1-1：重点工程

交通工程 建设高速公路 120 公里。

能源工程 建设风电项目。

继续推进各项改革。

表 1-1：主要指标

指标\t2020年\t2025年
一、经济\t\t
1.生产总值（亿元）\t1200\t1600

指标\t2020年\t2025年
2.城镇化率（%）\t60\t65

第二章 保障措施

第一节 加强领导

坚持党的全面领导。
"""


def test_another_plan_in_the_same_form_parses():
    secs = parse(ANOTHER_PLAN)
    kinds = Counter(s.kind for s in secs)
    assert kinds == {"front": 1, "chapter": 2, "section": 2, "box": 1, "table": 1}
    ch1 = by_title(secs, "第一章")
    assert "生态环境持续改善。" in all_text(ch1) and "1200亿元" in all_text(ch1)
    box = by_title(secs, "专栏1-1")
    assert [p.text for p in box.paragraphs] == ["交通工程 建设高速公路120公里。", "能源工程 建设风电项目。"]
    assert "继续推进各项改革。" in all_text(by_title(secs, "第一节 主要成就"))
    table = by_title(secs, "表 1-1")
    assert [r.cells for r in table.rows] == [("1.生产总值（亿元）", "1200", "1600"), ("2.城镇化率（%）", "60", "65")]
    assert [r.group for r in table.rows] == ["一、经济", "一、经济"]


def test_empty_document_is_refused():
    with pytest.raises(ValueError, match="no text"):
        parse(" \n\n ")
