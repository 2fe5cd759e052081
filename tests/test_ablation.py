"""The ablation's multilingual USE row: the joined dense side is e5's similarity plus the weighted
USE similarity, and USE's length-sorted batches embed each text as it would be embedded alone."""
from __future__ import annotations

import numpy as np

from eval.ablation import _joined, _use, _use_encode

TEXTS = ["森林覆盖率达到30%以上。", "What is the forest coverage target?",
         "加快建设郑新一体化发展，推动平原示范区与郑州航空港区协同发展，打造“三带三区两城十镇”。", "氢能"]


def test_use_vectors_do_not_depend_on_their_batch():
    together = _use_encode(TEXTS)
    alone = np.stack([_use().encode([t])[0] for t in TEXTS])
    assert together.shape == (4, 512)
    assert np.allclose(np.sum(together * alone, axis=1), 1.0, atol=1e-4)


def test_joined_similarity_is_e5_plus_weighted_use():
    rng = np.random.default_rng(0)
    e5_p, e5_q = rng.standard_normal((3, 384)), rng.standard_normal((1, 384))
    use_p, use_q = rng.standard_normal((3, 512)), rng.standard_normal((1, 512))
    joined = _joined(e5_p, use_p, 0.5) @ _joined(e5_q, use_q, 0.5).T
    assert np.allclose(joined, e5_p @ e5_q.T + 0.5 * use_p @ use_q.T, rtol=1e-4)
