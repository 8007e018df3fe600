"""Centre crops (U-Net skips, notes 3.11.2) and size matching (FCN fusion, notes 3.11.1)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.ops.crop import center_crop, match_size


def test_center_crop_and_match_size():
    x = torch.arange(36).view(1, 6, 6)
    assert center_crop(x, (2, 2)).tolist() == [[[14, 15], [20, 21]]]
    with pytest.raises(ValueError, match="6x6 map to 8x8"):
        center_crop(x, (8, 8))
    y = torch.rand(1, 2, 5, 5)
    assert match_size(y, (6, 4)).shape == (1, 2, 6, 4)
    torch.testing.assert_close(match_size(y, (6, 4))[..., 5, :], y[..., 4, :4])


@settings(max_examples=40, deadline=None)
@given(H=st.integers(1, 12), W=st.integers(1, 12), data=st.data())
def test_center_crop_keeps_the_centre_window(H, W, data):
    h, w = data.draw(st.integers(1, H)), data.draw(st.integers(1, W))
    x = torch.arange(H * W).view(1, H, W)
    out = center_crop(x, (h, w))
    assert out.shape == (1, h, w)
    top, left = int(out[0, 0, 0]) // W, int(out[0, 0, 0]) % W
    bottom, right = H - h - top, W - w - left
    assert 0 <= bottom - top <= 1 and 0 <= right - left <= 1  # the odd row/column goes at the bottom/right
    assert torch.equal(out, x[:, top : top + h, left : left + w])


@settings(max_examples=40, deadline=None)
@given(H=st.integers(1, 9), W=st.integers(1, 9), h=st.integers(1, 9), w=st.integers(1, 9))
def test_match_size_crops_or_replicates_at_the_bottom_right(H, W, h, w):
    x = torch.rand(2, 3, H, W)
    out = match_size(x, (h, w))
    assert out.shape == (2, 3, h, w)
    rows, cols = torch.arange(h).clamp(max=H - 1), torch.arange(w).clamp(max=W - 1)  # replicate = clamp the index
    torch.testing.assert_close(out, x[:, :, rows][:, :, :, cols])
