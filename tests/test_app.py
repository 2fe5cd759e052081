"""The web app in-process: ``/ask`` from ``gradio_client``, the hosted-demo limits, and the HTML it renders.

The app is launched on 127.0.0.1 on a free port once per module; the limit tests launch their own
small apps so they cannot starve the others.
"""
from __future__ import annotations

import dataclasses
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from eval.gold import strip_ws
from index.paths import DEFAULT_SOURCE
from qa.answer import Answer, answer
from qa.engine import Engine
from ui.ask import Limits
from ui.i18n import t
from ui.render import answer_html, notice

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:::gradio.queueing")]  # pandas 3 deprecations

FOREST = "乡村绿化覆盖率要达到多少？"
TAXI = "新乡出租车起步价是多少钱？"  # the plan says nothing about taxi fares


@pytest.fixture(scope="module")
def app_url(engine, run_app):
    with run_app(engine, Limits(rate_per_minute=1000)) as (url, _):
        yield url


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def client_at(url: str, address: str) -> Client:
    """A client the app sees as coming from ``address`` (uvicorn trusts X-Forwarded-For from 127.0.0.1)."""
    return Client(url, headers={"X-Forwarded-For": address}, verbose=False)


def test_ask_is_a_named_endpoint_with_the_agreed_inputs(client):
    api = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/ask"]
    params = [(p["parameter_name"], p["parameter_default"]) for p in api["parameters"]]
    assert params == [("question", None), ("k", 5), ("retriever", "hybrid"), ("chapter", "")]


def test_ask_returns_cited_passages_with_their_spans_in_the_plan(client, engine):
    result = client.predict(FOREST, api_name="/ask")
    assert result["answerable"] is True
    best = result["passages"][0]
    assert best["section_path"] == "第五章 加快构建生态文明体系 > 第二节 推进“32231”林业生态工程"
    assert "乡村绿化覆盖率达到30%" in best["highlight"]
    assert strip_ws(best["highlight"]) in strip_ws(engine.source[best["start"]:best["end"]])
    assert [p["rank"] for p in result["passages"]] == [1, 2, 3, 4, 5]


def test_ask_returns_exactly_what_planqa_ask_json_prints(client, engine):
    result = client.predict("2025年常住人口城镇化率目标是多少？", 3, "bm25", "", api_name="/ask")
    expected = answer(engine.retriever, "2025年常住人口城镇化率目标是多少？", k=3, mode="bm25").to_json()
    assert result == expected


@pytest.mark.parametrize("chapter", ["第五章", "5"])
def test_chapter_limits_the_search_to_that_chapter(client, chapter):
    result = client.predict("重点项目", 5, "hybrid", chapter, api_name="/ask")
    assert result["passages"]
    assert all(p["section_path"].startswith("第五章 加快构建生态文明体系") for p in result["passages"])


def test_a_question_the_plan_does_not_answer_says_so_and_still_shows_the_nearest(client):
    result = client.predict(TAXI, api_name="/ask")
    assert result["answerable"] is False
    assert len(result["passages"]) == 5


@pytest.mark.parametrize("length, refused", [(500, False), (501, True)])
def test_questions_over_500_characters_are_refused(client, length, refused):
    question = ("森林覆盖率" * 101)[:length]
    if not refused:
        assert client.predict(question, api_name="/ask")["passages"]
        return
    with pytest.raises(AppError, match="500"):
        client.predict(question, api_name="/ask")


@pytest.mark.parametrize("kwargs, words", [
    ({"question": "   "}, "Please type a question"),
    ({"question": "forest coverage", "retriever": "magic"}, "hybrid, dense or bm25"),
    ({"question": "森林覆盖率", "k": 0}, "1 到 50"),
    ({"question": "森林覆盖率", "chapter": "第九十九章"}, "没有这一章"),
])
def test_bad_input_is_one_short_message_in_the_questions_language(client, kwargs, words):
    with pytest.raises(AppError) as caught:
        client.predict(**kwargs, api_name="/ask")
    message = str(caught.value)
    assert words in message
    assert "Traceback" not in message and len(message) < 120


def test_rate_limit_is_per_client_over_a_sliding_minute(engine, run_app):
    with run_app(engine, Limits(rate_per_minute=3)) as (url, _):
        busy, other = client_at(url, "203.0.113.7"), client_at(url, "203.0.113.8")
        for _ in range(3):
            busy.predict("森林覆盖率", api_name="/ask")
        with pytest.raises(AppError, match="rate limit is 3 a minute"):
            busy.predict("forest coverage", api_name="/ask")
        with pytest.raises(AppError, match="频繁"):
            busy.predict("森林覆盖率", api_name="/ask")
        assert other.predict("森林覆盖率", api_name="/ask")["passages"]  # another visitor is not held back


class SlowRetriever:
    """The real retriever, one second slower a question: keeps the queue busy for the queue test."""

    def __init__(self, retriever):
        self._retriever = retriever

    def __getattr__(self, name):
        return getattr(self._retriever, name)

    def scores(self, *args, **kwargs):
        time.sleep(1.0)
        return self._retriever.scores(*args, **kwargs)


def test_a_full_queue_turns_visitors_away_with_try_again(engine, run_app):
    slow = Engine(engine.source, SlowRetriever(engine.retriever))
    with run_app(slow, Limits(queue_size=1, concurrency=1)) as (url, _):
        clients = [client_at(url, f"198.51.100.{i}") for i in range(4)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            outcomes = list(pool.map(lambda c: _outcome(c), clients))
        assert outcomes.count("answered") >= 1
        assert any(re.search(r"try again", o, re.I) for o in outcomes if o != "answered"), outcomes


def _outcome(client: Client) -> str:
    try:
        client.predict("森林覆盖率", api_name="/ask")
        return "answered"
    except Exception as exc:  # the queue's refusal, whatever gradio_client calls it
        return str(exc)


@pytest.mark.parametrize("path", ["/etc/passwd", str(DEFAULT_SOURCE), ".cache/index/manifest.json"])
def test_no_file_outside_the_app_can_be_fetched(app_url, path):
    response = httpx.get(f"{app_url.rstrip('/')}/gradio_api/file={path}")
    assert response.status_code in (403, 404)
    assert "root:" not in response.text and "第一章" not in response.text


def test_limits_come_from_the_environment():
    assert Limits.from_env({"PLANQA_RATE_LIMIT": "500", "PLANQA_QUEUE_SIZE": "9"}) == Limits(500, 9)
    assert Limits.from_env({}) == Limits(20, 64, 2)
    with pytest.raises(ValueError, match="PLANQA_RATE_LIMIT"):
        Limits.from_env({"PLANQA_RATE_LIMIT": "lots"})


# The HTML the page shows: escaped, cited, honest about questions the plan does not answer.

def hostile_answer(engine: Engine, answerable: bool) -> Answer:
    """A real hit whose question and passage text carry markup."""
    question = '<script>alert(1)</script><img src=x onerror="alert(2)">森林'
    hit = answer(engine.retriever, FOREST, k=1).hits[0]
    passage = dataclasses.replace(hit.passage, text='到2025年<img src=x onerror="alert(3)">乡村绿化覆盖率达到30%。')
    return Answer(question, answerable, [dataclasses.replace(hit, passage=passage)], ["乡村绿化覆盖率达到30%。"])


def test_question_and_passage_markup_is_shown_as_text(engine):
    html = answer_html(hostile_answer(engine, True), engine.retriever.index, "zh", 0.1)
    assert "<script" not in html and "<img" not in html and "onerror=\"" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(3)&quot;&gt;" in html


def test_a_card_cites_the_section_highlights_the_sentence_and_carries_the_memo_citation(engine):
    ans = answer(engine.retriever, FOREST, k=1)
    html = answer_html(ans, engine.retriever.index, "zh", 0.1)
    assert '<mark class="pq-hl">' in html and "乡村绿化覆盖率达到30%" in html.split('<mark class="pq-hl">')[1]
    assert "第五章 加快构建生态文明体系" in html and "第二节 推进“32231”林业生态工程" in html
    cite = re.search(r'data-cite="([^"]*)"', html).group(1)
    assert cite.startswith("《新乡市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》第五章第二节：“")
    assert '<mark class="pq-mark">' in html  # the passage marked inside its section, behind "show in context"


def test_a_table_row_card_puts_each_value_under_its_column(engine):
    """A two-level indicator (每千人口卫生技术人员数 › 每千人口拥有执业(助理)医师数) reads across its row."""
    ans = answer(engine.retriever, "每千人口拥有执业(助理)医师数2025年目标", k=1)
    html = answer_html(ans, engine.retriever.index, "zh", 0.1)
    header = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert header[:3] == ["指标", "2020年基数", "2025年目标"] and 'colspan=2>指标' in html
    assert cells[:4] == ["12", "每千人口卫生技术人员数 每千人口拥有执业(助理)医师数(人)", "2.87", "3.7"]
    cite = re.search(r'data-cite="([^"]*)"', html).group(1)
    assert "；2020年基数 2.87；2025年目标 3.7；" in cite
    nurses = answer(engine.retriever, "每千人口注册护士数2025年目标", k=1)  # its attribute cell is merged above
    cite = re.search(r'data-cite="([^"]*)"', answer_html(nurses, engine.retriever.index, "zh", 0.1)).group(1)
    assert cite.endswith("：“指标 12 每千人口卫生技术人员数 每千人口注册护士数(人)；2020年基数 2.89；2025年目标 &gt;4.3；"
                         "五年年均增长或累计 —”")


def test_not_in_plan_notice_speaks_the_questions_language(engine):
    ans = hostile_answer(engine, answerable=False)  # a Chinese question
    html = answer_html(ans, engine.retriever.index, "en", 0.1)  # on the English page
    assert t("not_in_plan", "zh") in html
    assert 'class="pq-cards pq-nearest"' in html
    shown = answer_html(hostile_answer(engine, answerable=True), engine.retriever.index, "en", 0.1)
    assert t("not_in_plan", "zh") not in shown


def test_not_in_plan_notice_says_what_the_decision_saw(engine):
    for question, reason in (("开封市十四五重点发展哪些产业", "规划全文未出现：开封市。"),
                             ("新乡体育馆有多少个座位", "最接近的段落都没有以“个”计的数字。")):
        ans = answer(engine.retriever, question)
        notice = re.search(r'<p class="pq-notice"[^>]*>(.*?)</p>', answer_html(ans, engine.retriever.index, "zh", 0.1))
        assert not ans.answerable and notice and reason in notice.group(1)
    answered = answer(engine.retriever, "新乡十四五重点发展哪些产业")
    assert "pq-notice" not in answer_html(answered, engine.retriever.index, "zh", 0.1)


def test_not_in_plan_notice_names_no_everyday_word(engine):
    ans = answer(engine.retriever, "开封市外地人口有多少")  # 外地 is absent from the plan too, but says nothing
    assert not ans.answerable and set(ans.signals.unknown) == {"开封市", "外地"}
    assert "规划全文未出现：开封市。" in notice(ans)
