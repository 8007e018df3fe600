"""read_image: decoding to (C, H, W) float in [0, 1]; every failure names the file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from dlbox.data.images import BadImageError, read_image


def _save(path, array, **kw):
    Image.fromarray(array).save(path, **kw)
    return path


def test_rgb_png_is_exact(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    t = read_image(_save(tmp_path / "x.png", arr))
    assert t.shape == (3, 5, 7) and t.dtype == torch.float32
    assert torch.allclose(t, torch.from_numpy(arr).permute(2, 0, 1).float() / 255)


def test_grayscale_to_one_or_three_channels(tmp_path):
    arr = np.random.default_rng(1).integers(0, 256, (4, 6), dtype=np.uint8)
    path = _save(tmp_path / "g.png", arr)
    one, three = read_image(path, channels=1), read_image(path, channels=3)
    expected = torch.from_numpy(arr).float() / 255
    assert one.shape == (1, 4, 6) and torch.allclose(one[0], expected)
    assert three.shape == (3, 4, 6) and all(torch.allclose(three[c], expected) for c in range(3))


def test_rgba_alpha_composited_on_white(tmp_path):
    arr = np.zeros((2, 2, 4), np.uint8)
    arr[0, 0] = (255, 0, 0, 255)  # opaque red
    arr[1, 1] = (0, 0, 0, 0)  # fully transparent -> white
    t = read_image(_save(tmp_path / "a.png", arr))
    assert torch.allclose(t[:, 0, 0], torch.tensor([1.0, 0.0, 0.0]))
    assert torch.allclose(t[:, 1, 1], torch.ones(3))


def test_resize_is_height_width(tmp_path):
    arr = np.zeros((10, 10, 3), np.uint8)
    t = read_image(_save(tmp_path / "r.png", arr), size=(4, 6))
    assert t.shape == (3, 4, 6)


def test_missing_file_names_it(tmp_path):
    path = tmp_path / "missing.png"
    with pytest.raises(BadImageError) as exc:
        read_image(path)
    assert exc.value.path == path and str(path) in str(exc.value)


def test_non_image_names_it(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image at all")
    with pytest.raises(BadImageError) as exc:
        read_image(path)
    assert str(path) in str(exc.value)
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize("fmt", ["png", "jpg"])
def test_truncated_file_names_it(tmp_path, fmt):
    arr = np.random.default_rng(2).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    good = _save(tmp_path / f"good.{fmt}", arr)
    bad = tmp_path / f"bad.{fmt}"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BadImageError) as exc:
        read_image(bad)
    assert str(bad) in str(exc.value)


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(BadImageError, match="no such file"):
        read_image(tmp_path)


def test_16bit_grayscale_png_keeps_its_values(tmp_path):
    arr = np.array([[0, 1000], [30000, 65535]], np.uint16)
    t = read_image(_save(tmp_path / "g16.png", arr), channels=1)
    assert torch.allclose(t[0], torch.from_numpy(arr.astype(np.float32) / 65535), atol=1 / 255)


# --- issue 12: the commands' shared reader takes sample:NAME -----------------------------------------------------


def test_sample_names_are_read_like_files():
    """``classify predict``, ``segment predict`` and ``segment heatmap`` call read_image with what typer gives them: Paths."""
    from pathlib import Path

    from dlbox.data.samples import load_sample

    for spec in ("sample:coffee", Path("sample:coffee")):
        t = read_image(spec, 3, (20, 30))
        assert t.shape == (3, 20, 30) and t.dtype == torch.float32
        assert torch.equal(t, load_sample("coffee", 3, (20, 30)))
    gray = read_image(Path("sample:camera"), 1)
    assert gray.shape == (1, 512, 512) and 0 <= float(gray.min()) < float(gray.max()) <= 1
    with pytest.raises(ValueError, match="unknown sample image 'nope'.*sample:astronaut"):
        read_image(Path("sample:nope"))


def test_large_file_is_decoded_to_the_asked_size(tmp_path):
    arr = np.random.default_rng(3).integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    t = read_image(_save(tmp_path / "big.jpg", arr), 3, (24, 32))
    assert t.shape == (3, 24, 32) and 0 <= float(t.min()) <= float(t.max()) <= 1
    assert abs(float(t.mean()) - arr.mean() / 255) < 0.02  # the same picture's average, not a crop
