"""Shared fixtures: the plan, its parse, and one engine (model + index) loaded once per session.

The engine uses the project's cache folder, so a second run reuses the model and index that the
first built; tests that damage an index work on copies under ``tmp_path``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

# A CI run must go red for a change in the code, never for a new random draw: the default profile
# draws the same examples every run. `make fuzz` sweeps many fresh random examples instead.
settings.register_profile("ci", max_examples=150, derandomize=True, database=None, deadline=None)
settings.register_profile("sweep", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from qa.cli import runtime_defaults  # noqa: E402

runtime_defaults()  # as the planqa command runs: no model hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from index.chunk import chunk  # noqa: E402
from index.parse import parse  # noqa: E402
from index.paths import DEFAULT_SOURCE  # noqa: E402
from index.source import read_source  # noqa: E402
from index.store import IndexSettings, build_index  # noqa: E402

SMALL_PLAN_PATH = Path(__file__).parent / "data" / "small_plan.txt"  # a plan in miniature


@pytest.fixture(scope="session")
def source() -> str:
    return read_source(DEFAULT_SOURCE)


@pytest.fixture(scope="session")
def sections(source):
    return parse(source)


@pytest.fixture(scope="session")
def passages(source, sections):
    return chunk(source, sections, IndexSettings().chunk)


@pytest.fixture(scope="session")
def engine():
    from qa.engine import open_engine

    return open_engine(quiet=True)


@pytest.fixture(scope="session")
def st_model():
    """The sentence-transformers model, for tests that build an index."""
    from index.model import load_model

    return load_model()


@pytest.fixture(scope="session")
def small_index(tmp_path_factory, st_model) -> Path:
    """An index of the small plan, built once; tests read it or damage copies of it."""
    folder = tmp_path_factory.mktemp("small-index") / "index"
    build_index(SMALL_PLAN_PATH.read_text(encoding="utf-8"), folder, IndexSettings(), model=st_model)
    return folder


@pytest.fixture(scope="session")
def planqa():
    """Run the ``planqa`` command as a user would: ``planqa("ask", "…", text=False)``."""
    def run(*args: str | bytes, text: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=text, timeout=timeout)
    return run


@pytest.fixture(scope="session")
def run_app(tmp_path_factory):
    """Serve the web app on a free port: ``with run_app(engine, limits) as (url, feedback_db): …``."""
    from ui.app import build_app, launch

    @contextmanager
    def running(engine, limits):
        db = tmp_path_factory.mktemp("feedback") / "fb.sqlite3"
        demo = build_app(engine, limits, feedback_db=db)
        _, url, _ = launch(demo, port=None, prevent_thread_lock=True, quiet=True)
        try:
            yield url, db
        finally:
            demo.close()
    return running
