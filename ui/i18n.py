"""The app's words in Chinese (the default) and English, and the language of a question.

The interface switches language on the page (a visible 中文 / English control) rather than following
the browser's locale, so every string the app shows, including the HTML it renders, lives here.

>>> t("too_long", "en", n=612, limit=500)
'The question is too long (612 characters); the limit is 500.'
>>> language_of("What is “一核四带”?"), language_of("What is the GDP target?")
('zh', 'en')
"""
from __future__ import annotations

from index.lexical import has_chinese

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

STRINGS: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "title": ("新乡市“十四五”规划问答", "Xinxiang 14th Five-Year Plan — Q&A"),
    "subtitle": ("输入问题，即可看到规划原文中回答它的段落，每段附可复制的引用。",
                 "Ask a question and read the passages of the plan that answer it, each with a citation "
                 "you can copy. The plan is quoted in Chinese."),
    "language": ("界面语言", "Language"),
    "tab_ask": ("提问", "Ask"),
    "tab_browse": ("浏览全文", "Browse the plan"),
    "question": ("问题", "Question"),
    "placeholder": ("例如：乡村绿化覆盖率要达到多少？（按回车提问）",
                    "e.g. What is the forest coverage target? (press Enter)"),
    "ask": ("提问", "Ask"),
    "chapter": ("限定章节", "Limit to a chapter"),
    "whole_plan": ("全文", "Whole plan"),
    "examples": ("示例问题：", "Try:"),
    "advanced": ("高级（维护用）", "Advanced (maintainers)"),
    "retriever": ("检索方式", "Retriever"),
    "k": ("返回段落数", "Passages to return"),
    "raw_json": ("原始 JSON（与 /ask 接口相同）", "Raw JSON (as returned by /ask)"),
    "feedback_prompt": ("这个回答有帮助吗？", "Was this answer helpful?"),
    "helpful": ("有帮助", "Helpful"),
    "not_helpful": ("没帮助", "Not helpful"),
    "feedback_thanks": ("谢谢反馈！", "Thanks for your feedback!"),
    "you_asked": ("问题", "Question"),
    "n_results": ("找到 {n} 段原文 · 用时 {secs:.2f} 秒", "{n} passages · {secs:.2f} s"),
    "no_results": ("没有找到相关段落。", "No passages found."),
    "result": ("第 {n} 条结果", "Result {n}"),
    "score": ("相关度", "score"),
    "copy": ("复制引用", "Copy citation"),
    "copied": ("已复制引用", "Citation copied"),
    "copy_failed": ("复制失败，请手动选择文本", "Could not copy; select the text instead"),
    "context": ("查看上下文", "Show in context"),
    "toc": ("目录", "Contents"),
    "reader_hint": ("在目录中选择一章、一节、专栏或表格，即可阅读全文。",
                    "Choose a chapter, section, box or table in the contents to read it."),
    "not_in_plan": ("规划中似乎没有涉及这个问题。下面是最接近的段落，仅供参考。",
                    # the check is weak for English (see qa.answer.Answerability): say so
                    "The plan may not address this question. English questions are matched through "
                    "a Chinese dictionary, so this check can err: read the nearest passages below."),
    "unknown_nouns": ("规划全文未出现：{nouns}。", "The plan never mentions: {nouns}."),
    "no_count": ("最接近的段落都没有以“{unit}”计的数字。",
                 "None of the nearest passages gives a number counted in “{unit}”."),
    # Refusals: short, one line, no internals.
    "empty": ("请输入问题。", "Please type a question."),
    "too_long": ("问题太长（{n} 字），请不超过 {limit} 字。",
                 "The question is too long ({n} characters); the limit is {limit}."),
    "rate_limited": ("提问过于频繁（每分钟最多 {limit} 个），请 {wait} 秒后再试。",
                     "Too many questions: the rate limit is {limit} a minute. Try again in {wait} s."),
    "invalid": ("无法处理这个问题：{detail}", "This question cannot be asked: {detail}"),
    "bad_k": ("返回段落数必须是 1 到 {limit} 的整数。", "k must be a whole number from 1 to {limit}."),
    "bad_retriever": ("检索方式只能是 hybrid、dense 或 bm25。", "The retriever must be hybrid, dense or bm25."),
    "bad_chapter": ("规划中没有这一章：{chapter}", "The plan has no such chapter: {chapter}"),
    "internal": ("出了点问题，请稍后再试。", "Something went wrong; please try again."),
}


def t(key: str, lang: str, **params) -> str:
    """The string ``key`` in ``lang`` (Chinese for an unknown language), formatted with ``params``."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**params) if params else text


def language_of(text: object) -> str:
    """``zh`` when the text holds any Chinese character, else ``en``."""
    return "zh" if isinstance(text, str) and has_chinese(text) else "en"
