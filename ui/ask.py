"""Asking from the web: check what a visitor sent, apply the per-client rate limit, then answer.

Both the page and the ``/ask`` endpoint go through :meth:`Asker.ask`, so they refuse the same
things with the same words. A refusal is a :class:`Refusal` holding a message key of
:mod:`ui.i18n`, worded by the caller in the visitor's language.

>>> asker = Asker(engine, Limits(rate_per_minute=20))            # doctest: +SKIP
>>> asker.ask("乡村绿化覆盖率要达到多少？", client="203.0.113.7").answerable  # doctest: +SKIP
True
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from qa.answer import MAX_K, Answer, QuestionError, answer, check_chapter, check_k, check_question
from qa.engine import Engine
from qa.retrieve import Mode
from ui.i18n import t
from ui.ratelimit import RateLimiter

RETRIEVERS = frozenset(m.value for m in Mode)


@dataclass(frozen=True)
class Limits:
    """The hosted demo's limits. ``from_env`` reads ``PLANQA_RATE_LIMIT`` (questions a minute per
    client) and ``PLANQA_QUEUE_SIZE`` (requests waiting at most); ``concurrency`` fits 2 cores."""

    rate_per_minute: int = 20
    queue_size: int = 64
    concurrency: int = 2
    max_question_chars: int = 500

    @classmethod
    def from_env(cls, env: dict | None = None) -> Limits:
        env = os.environ if env is None else env
        return cls(rate_per_minute=_positive_int(env, "PLANQA_RATE_LIMIT", cls.rate_per_minute),
                   queue_size=_positive_int(env, "PLANQA_QUEUE_SIZE", cls.queue_size))


def _positive_int(env, name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


class Refusal(Exception):
    """A request the app will not answer; ``message(lang)`` says why in one short line."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


class Asker:
    """The checks a public question goes through before :func:`qa.answer.answer`, in the order a
    visitor would want them: malformed input first (it never counts against the rate limit)."""

    def __init__(self, engine: Engine, limits: Limits):
        self.retriever = engine.retriever
        self.limits = limits
        self.limiter = RateLimiter(limits.rate_per_minute)
        self.chapters = engine.retriever.chapter_headings

    def ask(self, question: object, k: object = 5, retriever: object = "hybrid", chapter: object = "",
            client: str = "local") -> Answer:
        """Answer ``question`` for ``client`` or raise :class:`Refusal`."""
        q = self.question(question)
        try:
            k = check_k(_whole_number(k))
        except QuestionError:
            raise Refusal("bad_k", limit=MAX_K) from None
        if not isinstance(retriever, str) or retriever not in RETRIEVERS:
            raise Refusal("bad_retriever")
        heading = self.chapter(chapter)
        wait = self.limiter.hit(client)
        if wait:
            raise Refusal("rate_limited", limit=self.limits.rate_per_minute, wait=math.ceil(wait))
        return answer(self.retriever, q, k=k, mode=retriever, chapter=heading)

    def question(self, question: object) -> str:
        """The cleaned question, or a :class:`Refusal` (empty, over the length limit, malformed)."""
        if not isinstance(question, str):
            raise Refusal("invalid", detail=f"not text ({type(question).__name__})")
        if not question.strip():
            raise Refusal("empty")
        limit = self.limits.max_question_chars
        if len(question) > limit:  # the raw length: a hosted demo refuses big payloads before cleaning them
            raise Refusal("too_long", n=len(question), limit=limit)
        try:
            return check_question(question, max_chars=limit)
        except QuestionError as exc:
            raise Refusal("invalid", detail=str(exc)) from exc

    def chapter(self, chapter: object) -> str | None:
        """The chapter heading that ``chapter`` names (see :func:`qa.answer.check_chapter`); None for all."""
        try:
            return check_chapter(self.retriever, chapter)
        except QuestionError:
            raise Refusal("bad_chapter", chapter=str(chapter)[:40]) from None


def _whole_number(k: object) -> int | None:
    """``k`` as an int when it is a whole number (a JSON client may send 5.0), else None."""
    if isinstance(k, bool):
        return None
    if isinstance(k, int):
        return k
    if isinstance(k, float) and k.is_integer():
        return int(k)
    return None
