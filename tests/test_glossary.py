"""The English → Chinese glossary that lets BM25 match English questions: built from CC-CEDICT
against the plan's own words."""
from __future__ import annotations

import pytest

from index.glossary import build_glossary, translate


@pytest.fixture(scope="module")
def glossary(source):
    return build_glossary(source)


@pytest.mark.parametrize("question, term", [
    ("What is the per capita disposable income?", "可支配收入"),
    ("What is Jiaozuo's forest coverage target?", "焦作"),  # a place name, written in pinyin
    ("Which counties, such as Huixian, get new parks?", "辉县"),
    ("How many high-tech enterprises are there?", "高新技术"),  # "high-tech" is CC-CEDICT's "high tech"
    ("How is Yellow River water allocated?", "黄河"),  # from "Yellow River or Huang He"
    ("What is the target for the stock of live pigs?", "生猪"),  # in CC-CEDICT of 2025, not of 2023
    ("What is the grain planting area?", "种植"),  # "planting" is looked up as "plant"
    ("Which funds are rotated?", "周转"),  # "rotated" as "rotate"
])
def test_english_words_find_the_plans_chinese_terms(glossary, question, term):
    assert term in translate(question, glossary)


def test_or_inside_a_common_sense_is_not_a_second_phrase(glossary):
    # 分批 is "to do something in batches or groups": "groups" alone must not pull it in
    assert "分批" not in translate("Which enterprise groups are named?", glossary)
    assert "集团" in translate("Which enterprise groups are named?", glossary)


def test_digits_and_function_words_are_left_alone(glossary):
    assert "二十" not in translate("Which firms are to become 20-billion-yuan groups?", glossary)
    assert translate("what is it and how", glossary) == []


def test_a_words_first_gloss_inside_a_sense_ranks_before_a_later_one(glossary):
    # 地区 is "region; area (informal…)": one sense, "area" its second gloss; 面积 is "area" first
    terms = translate("What is the planting area?", glossary)
    assert terms.index("面积") < terms.index("地区")


def test_only_words_of_the_plan_are_offered(source, glossary):
    assert all(term in source for terms in glossary.values() for term in terms)
