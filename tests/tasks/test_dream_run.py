"""``dlbox dream``'s working size: the image's own, --size, or bounded by default for very large images."""

import numpy as np
import pytest
from PIL import Image

from dlbox.tasks.dream.config import MAX_SIDE
from dlbox.tasks.dream.run import working_image


def _file(tmp_path, h, w):
    path = tmp_path / f"img{h}x{w}.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return str(path)


def test_small_images_keep_their_size(tmp_path):
    image, source, bounded = working_image(_file(tmp_path, 30, 45), 3, None)
    assert tuple(image.shape) == (3, 30, 45) and source == (30, 45) and not bounded


def test_a_large_image_is_bounded_by_default_and_size_overrides(tmp_path):
    spec = _file(tmp_path, MAX_SIDE + 200, 700)
    image, source, bounded = working_image(spec, 3, None)
    assert source == (MAX_SIDE + 200, 700) and bounded
    assert image.shape[-2] == MAX_SIDE and image.shape[-1] == pytest.approx(700 * MAX_SIDE / (MAX_SIDE + 200), abs=1)
    image, _, bounded = working_image(spec, 1, 64)
    assert tuple(image.shape) == (1, 64, round(700 * 64 / (MAX_SIDE + 200))) and not bounded
