import math

import pytest
import torch

from dlbox.layers.time_embedding import sinusoidal_embedding


def test_embedding_is_the_transformer_formula():
    t = torch.tensor([0, 1, 37, 999])
    emb = sinusoidal_embedding(t, 8)
    assert emb.shape == (4, 8)
    for row, step in enumerate(t.tolist()):
        for i in range(4):
            w = 10000 ** (-i / 4)
            assert float(emb[row, i]) == pytest.approx(math.sin(step * w), abs=1e-4)
            assert float(emb[row, 4 + i]) == pytest.approx(math.cos(step * w), abs=1e-4)


def test_distinct_steps_get_distinct_codes_and_bad_arguments():
    emb = sinusoidal_embedding(torch.arange(1000), 32)
    assert torch.cdist(emb, emb).add(torch.eye(1000) * 10).min() > 1e-3
    with pytest.raises(ValueError, match="even"):
        sinusoidal_embedding(torch.arange(3), 7)
    with pytest.raises(ValueError, match=r"\(B,\)"):
        sinusoidal_embedding(torch.zeros(2, 2), 8)
