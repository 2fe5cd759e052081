"""Whether the plan answers a question: a question about something the plan never mentions is
told so, while the same question about the plan's own subject is answered."""
from __future__ import annotations

import pytest

from index.lexical import query_tokens
from qa.answer import Answerability, Signals, answer, asked_in_english, asked_unit, states_count


@pytest.mark.parametrize("signals, answerable", [
    (Signals(margin=0.04, coverage=0.0), True),  # the best passage stands out: answered
    (Signals(margin=0.01, coverage=0.4), True),  # most of the question's words in the best passage
    (Signals(margin=0.01, coverage=0.4, unknown=("开封市",)), False),  # ...but it names a city the plan lacks
    (Signals(margin=0.01, coverage=0.7, unknown=("开封市",)), True),
    (Signals(margin=0.01, coverage=0.1), False),
    (Signals(margin=0.04, coverage=0.9, missing_count="所"), False),  # asks 多少所 and no passage gives one
    # an everyday word the plan happens not to use ("外地" for its 国内外) names nothing
    (Signals(margin=0.01, coverage=0.4, unknown=("外地",), common=("外地",)), True),
    (Signals(margin=0.01, coverage=0.4, unknown=("外地", "开封市"), common=("外地",)), False),
])
def test_decision(signals, answerable):
    assert Answerability().decide(signals) is answerable


def test_english_questions_need_a_smaller_margin_to_be_called_unanswerable():
    english, chinese = Signals(margin=0.02, coverage=0.1, english=True), Signals(margin=0.02, coverage=0.1)
    assert Answerability().decide(english) and not Answerability().decide(chinese)
    assert not Answerability().decide(Signals(margin=0.005, coverage=0.1, english=True))
    assert not Answerability(min_margin_english=None).decide(english), "None: judged as Chinese is"


def test_common_nouns_count_when_asked_to():
    assert not Answerability(ignore_common=False).decide(
        Signals(margin=0.01, coverage=0.4, unknown=("外地",), common=("外地",)))


def test_a_question_without_chinese_characters_is_marked_english(engine):
    assert answer(engine.retriever, "What is the forest coverage target?").signals.english
    assert not answer(engine.retriever, "2025年 forest 覆盖率").signals.english


@pytest.mark.parametrize("text", ["'; DROP TABLE passages; --", "<script>alert('x')</script>", "???", "𠀀𪚥"])
def test_text_without_chinese_that_is_no_english_question_gets_no_english_leniency(engine, text):
    ans = answer(engine.retriever, text)
    assert not ans.signals.english and not ans.answerable


@pytest.mark.parametrize("question, english", [
    ("Which chapter covers rural revitalization", True), ("Is coal being phased out?", True),
    ("Please list the key water projects", True), ("Explain the 32231 forestry project.", True),
    ("forest coverage 2025", False), ("DROP TABLE passages", False), ("<b>show</b>", False),
])
def test_an_english_question_is_told_by_a_question_word_or_mark(question, english):
    assert asked_in_english(question) is english


def test_a_question_about_another_city_is_not_answered_by_this_plan(engine):
    other = answer(engine.retriever, "开封市十四五重点发展哪些产业")
    assert not other.answerable and "开封市" in other.signals.unknown
    assert other.hits, "the nearest passages are still shown"
    own = answer(engine.retriever, "新乡十四五重点发展哪些产业")
    assert own.answerable and own.signals.unknown == ()


def test_nouns_the_plan_uses_are_not_unknown(engine):
    assert engine.retriever.unknown_nouns("森林覆盖率和黄河流域生态保护") == ()
    assert engine.retriever.unknown_nouns("新乡有多少个停车位") == ("停车位",)


def test_an_everyday_word_the_plan_lacks_does_not_make_a_question_unanswerable(engine):
    ans = answer(engine.retriever, "外地的优质教育品牌要怎么引进")
    assert ans.signals.unknown == ("外地",) and ans.signals.common == ("外地",)
    assert ans.answerable and "推动教育开放" in ans.hits[0].passage.text
    city = answer(engine.retriever, "开封市的森林覆盖率目标是多少")
    assert city.signals.named == ("开封市",) and not city.answerable


def test_a_question_in_traditional_characters_finds_what_the_simplified_one_finds(engine):
    simplified = answer(engine.retriever, "到2025年森林覆盖率目标是多少")
    traditional = answer(engine.retriever, "到2025年森林覆蓋率目標是多少")
    assert traditional.answerable and traditional.signals.unknown == ()
    # the lexical side sees the same tokens; e5 sees other characters, so only the lead is compared
    assert traditional.hits[0].passage.id == simplified.hits[0].passage.id
    assert traditional.hits[0].bm25 == simplified.hits[0].bm25


@pytest.mark.parametrize("question, unit", [
    ("新乡一共有多少所普通高校", "所"), ("八里沟门票多少钱", "元"), ("十四五要新修多少公里高速", "公里"),
    ("省级技术转移示范机构要新增几家", "家"), ("静脉产业园放在哪几个县", ""),  # 哪几个 asks for a list
    ("森林覆盖率目标是多少", ""), ("２０２５年三级医院要新增几家", "家"),  # full-width digits normalised
])
def test_the_measure_word_a_question_asks_a_count_in(question, unit):
    assert asked_unit(question) == unit


@pytest.mark.parametrize("text, unit, stated", [
    ("培育国家、省级创新研发平台150家以上", "家", True), ("新建三所高中", "所", True),
    ("居民人均可支配收入达到2.5万元", "元", True), ("支持驻新高校发展", "所", False),
    ("新增高速公路380公里", "个", False), ("", "", False),
    ("每个县培育1—2个示范性托育机构", "家", True),  # 个 stands in for a classifier such as 家
    ("建成3个服务区", "公里", False),  # ...but not for a unit of measure
])
def test_whether_a_passage_gives_a_count(text, unit, stated):
    assert states_count(text, unit) is stated


def test_a_count_the_plan_never_gives_is_not_answered_whatever_k(engine):
    for k in (1, 5):
        seats = answer(engine.retriever, "新乡体育馆有多少个座位", k=k)
        assert not seats.answerable and seats.signals.missing_count == "个"
    farmland = answer(engine.retriever, "高标准农田建设多少亩", k=1)
    assert farmland.answerable and farmland.signals.missing_count == ""


def test_a_which_chapter_question_on_the_plans_subject_is_answered_by_its_chapter(engine):
    # 第几章 says "this is a question", like 是什么: its characters are not matched as content
    ans = answer(engine.retriever, "文化建设写在规划第几章")
    assert ans.answerable and ans.hits[0].passage.path[0].startswith("第十章")


@pytest.mark.parametrize("question, noise", [
    ("文化建设写在第几章", {"第几", "几章"}), ("地铁在哪一章", {"哪一", "一章"}),
    ("医保统筹要提到哪一级", {"哪一", "一级"}), ("新乡市长是谁", {"是谁"}), ("大运河能通航多长", {"多长"}),
])
def test_question_words_are_not_matched_as_content(question, noise):
    assert not noise & set(query_tokens(question))
