"""Opening planqa once: the plan's text, the model and the index (built if missing or stale).

>>> engine = open_engine()                 # doctest: +SKIP
>>> engine.retriever.search("氢能产业园")  # doctest: +SKIP
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

from index.paths import DEFAULT_SOURCE, default_index_dir
from index.source import read_source
from index.store import IndexSettings, open_index
from qa.retrieve import Retriever


@dataclass
class Engine:
    source: str
    retriever: Retriever


def open_engine(source_path: Path | None = None, index_dir: Path | None = None, model_path: Path | None = None,
                rebuild: bool = False, settings: IndexSettings = IndexSettings(), quiet: bool = False) -> Engine:
    """Read the plan, load the model, open (or build) the index, and return them ready to query."""
    from index.model import load_model

    source = read_source(source_path or DEFAULT_SOURCE)
    settings = replace(settings, model_path=model_path) if model_path else settings
    model = load_model(settings.model_path)

    def tell(reason: str) -> None:
        if not quiet:
            print(f"planqa: building the index ({reason})", file=sys.stderr)

    index = open_index(index_dir or default_index_dir(), source, settings, rebuild=rebuild, on_build=tell,
                       model=model)
    return Engine(source, Retriever(index, model))
