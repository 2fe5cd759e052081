"""Shared fixtures: the plan, its parse, and one engine (model + index) loaded once per session.

The engine uses the project's cache folder, so a second run reuses the model and index that the
first built; tests that damage an index work on copies under ``tmp_path``.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import settings

# A CI run must go red for a change in the code, never for a new random draw: the default profile
# draws the same examples every run. `make fuzz` sweeps many fresh random examples instead.
settings.register_profile("ci", max_examples=150, derandomize=True, database=None, deadline=None)
settings.register_profile("sweep", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.chunk import chunk  # noqa: E402
from index.parse import parse  # noqa: E402
from index.paths import DEFAULT_SOURCE  # noqa: E402
from index.source import read_source  # noqa: E402
from index.store import IndexSettings  # noqa: E402


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
