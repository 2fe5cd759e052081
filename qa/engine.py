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
    """Read the plan, open (or build) the index, load the question encoder, and return them ready.

    The sentence-transformers model is loaded only when the index has to be built.
    """
    from index.model import load_query_encoder

    source = read_source(source_path or DEFAULT_SOURCE)
    settings = replace(settings, model_path=model_path) if model_path else settings

    def tell(reason: str) -> None:
        if not quiet:
            print(f"planqa: building the index ({reason})", file=sys.stderr)

    index = open_index(index_dir or default_index_dir(), source, settings, rebuild=rebuild, on_build=tell)
    return Engine(source, Retriever(index, load_query_encoder(settings.model_path)))
