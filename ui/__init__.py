"""The Gradio app, one job a module.

- ``app``: the page, its events, the ``/ask`` endpoint, the queue, ``serve``.
- ``ask``: what a public question goes through (input checks, rate limit) before ``qa.answer``.
- ``render``: an answer's HTML (cards); ``document``: the plan's HTML (context, reader, contents).
- ``cite``: the memo citation; ``i18n``: the page's words in Chinese and English.
- ``ratelimit``: the per-client sliding window; ``feedback``: the vote log and its export.
- ``assets/``: the page's CSS and the scripts of its HTML panes.

Tests: ``tests/test_app.py`` (in-process, ``gradio_client``), ``tests/test_browser.py`` (Chromium),
``tests/test_feedback.py``.
"""
