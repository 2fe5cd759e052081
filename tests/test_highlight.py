"""The highlighted sentence is the one that answers: not the heading the question repeats, not the
short lead phrase that names the paragraph's subject."""
from __future__ import annotations

import pytest

from eval.metrics import on_evidence
from qa.answer import answer


def highlight_in_answer(engine, question: str, answer_words: str) -> str:
    """The highlight of the first of the top 5 passages that holds ``answer_words``."""
    ans = answer(engine.retriever, question, k=5)
    return next(hl for h, hl in zip(ans.hits, ans.highlights) if answer_words in h.passage.text)


@pytest.mark.parametrize("question, topic_line, answer_words", [
    # a box title (专栏6-4：“十四五”信息基础设施项目) shares most of the question's words
    pytest.param("信息基础设施项目里有哪些5G项目", "专栏6-4", "5G基站建设项目", id="box title"),
    pytest.param("“五湖四河两渠”里的五湖是哪五个", "专栏5-3", "定国湖", id="box title 2"),
    # a lead phrase shares as many as the sentence that answers
    pytest.param("高标准农田要建到多少亩", "大力推进高标准农田建设", "520万亩", id="lead phrase"),
    pytest.param("新乡的传统产业主要是哪四个", "提高传统产业层次水平", "化工、建材、造纸、煤电", id="lead phrase 2"),
    # each line of the box shares one token; the question names 三区 twice
    pytest.param("“三带三区两城十镇”里的三区是指哪三个区", "三带 郑新", "郑洛新国家自主创新示范区", id="repeated token"),
])
def test_the_line_that_answers_is_highlighted_not_the_one_naming_the_topic(engine, question, topic_line,
                                                                           answer_words):
    highlight = highlight_in_answer(engine, question, answer_words)
    assert topic_line not in highlight and answer_words in highlight


def test_a_which_chapter_question_highlights_the_chapter_heading(engine):
    ans = answer(engine.retriever, "乡村振兴在哪一章", k=1)
    assert ans.highlights[0].startswith("第八章")


def test_the_highlight_is_a_sentence_of_the_cited_passage(engine):
    ans = answer(engine.retriever, "专栏里有哪些重大工程", k=10)
    for h, highlight in zip(ans.hits, ans.highlights):
        assert highlight and highlight in h.passage.text


@pytest.mark.parametrize("highlight, evidence, expected", [
    ("到2025年，森林覆盖率达到26%，城市绿化达到国家标准。", "森林覆盖率达到26%", True),  # holds the evidence
    ("森林覆盖率达到26%。", "到2025年，实现山区森林化，森林覆盖率达到26%", True),  # part of a long evidence
    ("〔四、绿色生态〕20 | 森林覆盖率（%） | 23.1 | >26.0", "森林覆盖率（%）23.1>26.0", True),  # a table row
    ("推进林业生态建设。", "森林覆盖率达到26%", False),
    ("专栏5-2：“32231”林业生态工程", "三带 南太行生态景观带、沿黄生态带", False),
])
def test_the_eval_counts_a_highlight_on_the_evidence_when_they_share_half(highlight, evidence, expected):
    assert on_evidence(highlight, (evidence,)) is expected
