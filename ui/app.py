"""The web app: ask and read cited passages, copy a citation, open the section around a passage,
browse the plan, vote on answers; and ``/ask``, the same answers for programs.

>>> demo = build_app(open_engine())                  # doctest: +SKIP
>>> launch(demo, host="127.0.0.1", port=7860)         # doctest: +SKIP

The page speaks Chinese, or English at the switch in its corner; the plan is always quoted in
Chinese. Retrieval runs on the queue, at most ``Limits.concurrency`` at a time (shared by the page
and ``/ask``), with at most ``Limits.queue_size`` waiting; a full queue gets Gradio's "busy, try
again" message.
"""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from functools import partial
from html import escape
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from index.paths import PROJECT_ROOT, cache_dir  # noqa: E402
from index.store import Index  # noqa: E402
from qa.answer import Answer, answer  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.retrieve import Mode  # noqa: E402
from ui.ask import Asker, Limits, Refusal  # noqa: E402
from ui.document import reader_html, toc_html  # noqa: E402
from ui.feedback import FeedbackStore, Vote, default_db_path  # noqa: E402
from ui.i18n import DEFAULT_LANG, LANGS, language_of, t  # noqa: E402
from ui.render import answer_html, message_html  # noqa: E402

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
EXAMPLES = (  # one of each kind of the dev set: a number, a 专栏 project list, a definition, a table row, English
    "乡村绿化覆盖率要达到多少？",
    "沿黄规划的11个花木小镇有哪些？",
    "“一核四带”指什么？",
    "2025年常住人口城镇化率目标是多少？",
    "How many flower and tree towns are planned along the Yellow River?",
)
_HTML_LANG_JS = "(lang) => { document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN'; }"


@dataclass(frozen=True)
class Shown:
    """What one visitor's results pane shows: kept to re-render it in the other language and to vote on it."""

    answer: Answer | None = None
    seconds: float = 0.0
    retriever: str = "hybrid"
    refusal: Refusal | None = None


def _client(request: gr.Request | None) -> str:
    """The rate limit's client key: the peer address (uvicorn takes it from X-Forwarded-For only
    when the proxy is trusted, by default only 127.0.0.1)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


def _html(value: str = "", script: str | None = None, **options) -> gr.HTML:
    """An HTML pane styled by app.css alone, running ``assets/<script>`` once when it mounts (no
    script: none at all, not Gradio's default that reports every click to the server)."""
    js = (ASSETS / script).read_text(encoding="utf-8") if script else None
    return gr.HTML(value, js_on_load=js, apply_default_css=False, **options)


def _label_html(text: str, cls: str) -> str:
    return f'<span class="{cls}">{escape(text)}</span>'


def _header_html(lang: str) -> str:
    return f'<header class="pq-header"><h1>{escape(t("title", lang))}</h1><p>{escape(t("subtitle", lang))}</p></header>'


class Handlers:
    """The app's event handlers, around one engine, one rate-limited asker and one feedback log."""

    def __init__(self, asker: Asker, store: FeedbackStore):
        self.asker = asker
        self.store = store
        self.index: Index = asker.retriever.index
        # Every language-dependent property of the page, by component name, in each language:
        # used to build the page (in Chinese) and to switch it.
        self.texts = {lang: self._texts(lang) for lang in LANGS}

    def _texts(self, lang: str) -> dict[str, dict]:
        chapters = [(t("whole_plan", lang), "")] + [(c, c) for c in self.asker.chapters]
        return {
            "header": {"value": _header_html(lang)},
            "lang": {"label": t("language", lang)},
            "tab_ask": {"label": t("tab_ask", lang)},
            "tab_browse": {"label": t("tab_browse", lang)},
            "question": {"label": t("question", lang), "placeholder": t("placeholder", lang)},
            "ask": {"value": t("ask", lang)},
            "chapter": {"label": t("chapter", lang), "choices": chapters},
            "examples_label": {"value": _label_html(t("examples", lang), "pq-examples-text")},
            "feedback_prompt": {"value": _label_html(t("feedback_prompt", lang), "pq-feedback-text")},
            "helpful": {"value": t("helpful", lang)},
            "not_helpful": {"value": t("not_helpful", lang)},
            "advanced": {"label": t("advanced", lang)},
            "retriever": {"label": t("retriever", lang)},
            "k": {"label": t("k", lang)},
            "raw": {"label": t("raw_json", lang)},
            "toc": {"value": toc_html(self.index, lang)},
        }

    def api_ask(self, question: str, k: int = 5, retriever: str = "hybrid", chapter: str = "",
                request: gr.Request = None) -> dict:
        """Answer a question about the plan: the ranked, cited passages, as ``planqa ask --json`` prints them.

        ``retriever`` is hybrid, dense or bm25; ``chapter`` limits the search to one chapter (its
        heading or ordinal, e.g. 第五章); "" searches the whole plan.
        """
        try:
            return self.asker.ask(question, k, retriever, chapter, client=_client(request)).to_json()
        except Refusal as refusal:
            raise gr.Error(escape(refusal.message(language_of(question))), print_exception=False) from None
        except Exception:
            log.exception("/ask failed")
            raise gr.Error(t("internal", language_of(question)), print_exception=False) from None

    def page_ask(self, question: str, k: int, retriever: str, chapter: str, lang: str, request: gr.Request) -> tuple:
        """The page's ask: results, raw JSON, the feedback row (shown, votes enabled) and the new ``Shown``."""
        start = time.perf_counter()
        try:
            shown = Shown(self.asker.ask(question, k, retriever, chapter, client=_client(request)),
                          time.perf_counter() - start, retriever)
            raw = shown.answer.to_json()
        except Refusal as refusal:
            shown = Shown(refusal=refusal)
            raw = {"error": refusal.message(lang)}
        except Exception:
            log.exception("ask failed")
            shown = Shown(refusal=Refusal("internal"))
            raw = {"error": t("internal", lang)}
        voting = shown.answer is not None
        return (self.results(shown, lang), raw, gr.update(visible=voting), gr.update(interactive=True),
                gr.update(interactive=True), "", shown)

    def results(self, shown: Shown | None, lang: str) -> str:
        """The results pane for what is shown, in ``lang``."""
        if shown is None:
            return ""
        if shown.refusal is not None:
            return message_html(shown.refusal.message(lang), lang)
        return answer_html(shown.answer, self.index, lang, shown.seconds)

    def vote(self, verdict: str, shown: Shown | None, lang: str) -> tuple:
        """Log a verdict on the answer on screen; one vote an answer (the buttons lock until the next)."""
        if shown is None or shown.answer is None:
            return "", gr.update(), gr.update()
        ans = shown.answer
        best = ans.hits[0].passage if ans.hits else None
        self.store.add(Vote(ans.question, language_of(ans.question), ans.answerable, shown.retriever,
                            tuple(h.passage.id for h in ans.hits), best.section_path if best else "",
                            ans.highlights[0] if best else "", verdict))
        thanks = _label_html(t("feedback_thanks", lang), "pq-feedback-text")
        return thanks, gr.update(interactive=False), gr.update(interactive=False)

    def open_node(self, lang: str, event: gr.EventData) -> tuple[str, str | None]:
        """Open the node the contents' script names (an unknown id shows the hint)."""
        node_id = getattr(event, "node", None)
        node_id = node_id if isinstance(node_id, str) and node_id in self.index.by_id else None
        return reader_html(self.index, node_id, lang), node_id

    def switch_language(self, lang: str, shown: Shown | None, node_id: str | None) -> list:
        """Every translatable part (in ``texts`` order), then the results and the reader, in ``lang``."""
        lang = lang if lang in LANGS else DEFAULT_LANG
        updates = [gr.update(**props) for props in self.texts[lang].values()]
        return updates + [self.results(shown, lang), reader_html(self.index, node_id, lang)]


def build_app(engine: Engine, limits: Limits | None = None, feedback_db: Path | None = None) -> gr.Blocks:
    """The app around a loaded engine, queued; limits default to the environment's (see :class:`Limits`)."""
    limits = limits or Limits.from_env()
    handlers = Handlers(Asker(engine, limits), FeedbackStore(feedback_db or default_db_path()))
    # The first question pays one-off warm-ups (torch, tokenizers, jieba's tagger): pay them here,
    # not the first visitor.
    answer(engine.retriever, "新乡市森林覆盖率目标", k=1)
    engine.retriever.unknown_nouns("新乡市森林覆盖率目标")
    with gr.Blocks(title=t("title", DEFAULT_LANG)) as demo:
        page = _layout(handlers)
        _wire(page, handlers, limits)
    demo.queue(default_concurrency_limit=limits.concurrency, max_size=limits.queue_size)
    return demo


def _layout(handlers: Handlers) -> dict:
    """The page's components, by name (the translatable ones under their names in ``Handlers.texts``)."""
    text = handlers.texts[DEFAULT_LANG]
    c: dict = {"shown": gr.State(None), "node": gr.State(None)}
    with gr.Row(equal_height=False):
        with gr.Column(scale=4):
            c["header"] = _html(**text["header"])
        with gr.Column(scale=1, min_width=220):
            c["lang"] = gr.Radio([("中文", "zh"), ("English", "en")], value=DEFAULT_LANG, **text["lang"],
                                 elem_id="pq-lang")
    with gr.Tabs():
        with gr.Tab(**text["tab_ask"], id="ask") as c["tab_ask"]:
            with gr.Row(equal_height=True):
                c["question"] = gr.Textbox(**text["question"], lines=1, max_lines=4, autofocus=True, scale=5,
                                           min_width=260, elem_id="pq-question")
                c["chapter"] = gr.Dropdown(**text["chapter"], value="", scale=2, min_width=200, elem_id="pq-chapter")
                c["ask"] = gr.Button(**text["ask"], variant="primary", scale=0, min_width=96, elem_id="pq-ask")
            with gr.Row(elem_classes="pq-examples"):
                c["examples_label"] = _html(**text["examples_label"], elem_classes="pq-examples-label")
                c["examples"] = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
            c["results"] = _html(script="results.js", elem_id="pq-results")
            with gr.Row(visible=False, elem_id="pq-feedback") as c["feedback_row"]:
                c["feedback_prompt"] = _html(**text["feedback_prompt"])
                c["helpful"] = gr.Button(**text["helpful"], size="sm", elem_id="pq-helpful")
                c["not_helpful"] = gr.Button(**text["not_helpful"], size="sm", elem_id="pq-not-helpful")
                c["feedback_status"] = _html(elem_id="pq-feedback-status")
            with gr.Accordion(**text["advanced"], open=False) as c["advanced"]:
                c["retriever"] = gr.Radio([m.value for m in Mode], value=Mode.HYBRID.value, **text["retriever"])
                c["k"] = gr.Slider(1, 20, value=5, step=1, precision=0, **text["k"])
                c["raw"] = gr.JSON(**text["raw"])
        with gr.Tab(**text["tab_browse"], id="browse") as c["tab_browse"]:
            with gr.Row():
                with gr.Column(scale=2, min_width=260):
                    c["toc"] = _html(**text["toc"], script="toc.js", elem_id="pq-toc")
                with gr.Column(scale=5, min_width=300):
                    c["reader"] = _html(reader_html(handlers.index, None, DEFAULT_LANG), script="reader.js",
                                        elem_id="pq-reader")
    return c


def _wire(c: dict, handlers: Handlers, limits: Limits) -> None:
    """The page's events and the ``/ask`` endpoint; retrieval, from the page or the API, shares one
    concurrency group."""
    retrieval = {"concurrency_id": "retrieval", "concurrency_limit": limits.concurrency}
    ask = {"fn": handlers.page_ask, "inputs": [c["question"], c["k"], c["retriever"], c["chapter"], c["lang"]],
           "outputs": [c["results"], c["raw"], c["feedback_row"], c["helpful"], c["not_helpful"],
                       c["feedback_status"], c["shown"]],
           "show_progress_on": [c["results"]], "api_visibility": "private", **retrieval}
    gr.on([c["question"].submit, c["ask"].click], **ask)
    for button, example in zip(c["examples"], EXAMPLES):
        button.click(None, None, c["question"], js=f"() => {json.dumps(example)}").then(**ask)
    for verdict in ("helpful", "not_helpful"):
        c[verdict].click(partial(handlers.vote, verdict), [c["shown"], c["lang"]],
                         [c["feedback_status"], c["helpful"], c["not_helpful"]], api_visibility="private")
    c["toc"].click(handlers.open_node, [c["lang"]], [c["reader"], c["node"]], api_visibility="private")
    translatable = [c[name] for name in handlers.texts[DEFAULT_LANG]]  # in the order switch_language returns
    c["lang"].change(None, c["lang"], None, js=_HTML_LANG_JS)
    c["lang"].change(handlers.switch_language, [c["lang"], c["shown"], c["node"]],
                     [*translatable, c["results"], c["reader"]], api_visibility="private")
    gr.api(handlers.api_ask, api_name="ask", **retrieval)


def theme() -> gr.themes.Base:
    """Soft, blue, with local fonts only (a hosted page fetches nothing from font services)."""
    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate",
                          font=("system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "PingFang SC",
                                "Microsoft YaHei", "sans-serif"),
                          font_mono=("ui-monospace", "Consolas", "monospace"))


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, **options):
    """Serve ``demo`` with the hosted-demo settings: no file access outside Gradio's own assets, no
    uploads, no error details, no share link or MCP server. ``options`` go to ``Blocks.launch``."""
    return demo.launch(
        server_name=host, server_port=port, theme=theme(), css=(ASSETS / "app.css").read_text(encoding="utf-8"),
        js=f"() => ({_HTML_LANG_JS})({json.dumps(DEFAULT_LANG)})", footer_links=["api"], show_error=False,
        allowed_paths=[], blocked_paths=[str(PROJECT_ROOT), str(cache_dir())], max_file_size="1kb",
        share=False, ssr_mode=False, mcp_server=False, pwa=False, enable_monitoring=False, **options)


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 7860) -> None:
    """``planqa serve``: build the app and serve it until interrupted."""
    launch(build_app(engine), host=host, port=port)
