"""Whether the plan answers a question: a question about something the plan never mentions is
told so, while the same question about the plan's own subject is answered."""
from __future__ import annotations

import pytest

from qa.answer import Answerability, Signals, answer


@pytest.mark.parametrize("signals, answerable", [
    (Signals(margin=0.04, coverage=0.0), True),  # the best passage stands out: answered
    (Signals(margin=0.01, coverage=0.4), True),  # most of the question's words in the best passage
    (Signals(margin=0.01, coverage=0.4, unknown=("开封市",)), False),  # ...but it names a city the plan lacks
    (Signals(margin=0.01, coverage=0.7, unknown=("开封市",)), True),
    (Signals(margin=0.01, coverage=0.1), False),
])
def test_decision(signals, answerable):
    assert Answerability().decide(signals) is answerable


def test_a_question_about_another_city_is_not_answered_by_this_plan(engine):
    other = answer(engine.retriever, "开封市十四五重点发展哪些产业")
    assert not other.answerable and "开封市" in other.signals.unknown
    assert other.hits, "the nearest passages are still shown"
    own = answer(engine.retriever, "新乡十四五重点发展哪些产业")
    assert own.answerable and own.signals.unknown == ()


def test_nouns_the_plan_uses_are_not_unknown(engine):
    assert engine.retriever.unknown_nouns("森林覆盖率和黄河流域生态保护") == ()
    assert engine.retriever.unknown_nouns("新乡有多少个停车位") == ("停车位",)


def test_a_question_in_traditional_characters_finds_what_the_simplified_one_finds(engine):
    simplified = answer(engine.retriever, "到2025年森林覆盖率目标是多少")
    traditional = answer(engine.retriever, "到2025年森林覆蓋率目標是多少")
    assert traditional.answerable and traditional.signals.unknown == ()
    # the lexical side sees the same tokens; e5 sees other characters, so only the lead is compared
    assert traditional.hits[0].passage.id == simplified.hits[0].passage.id
    assert traditional.hits[0].bm25 == simplified.hits[0].bm25
