"""sample:NAME images from installed packages; any image path works the same way; bad files are clear errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from dlbox.data.images import BadImageError
from dlbox.data.samples import image_label, list_samples, load_image, load_sample


def test_every_sample_loads_offline_as_rgb_in_unit_range():
    names = list_samples()
    assert {"astronaut", "coffee", "gravel", "china"} <= set(names)
    for name in names:
        img = load_image(f"sample:{name}", channels=3, max_side=32)
        assert img.shape[0] == 3 and max(img.shape[1:]) == 32, name
        assert img.dtype == torch.float32 and 0 <= img.min() and img.max() <= 1, name
        assert img.std() > 0.01, f"{name} is blank"


def test_channels_and_sizes():
    gray = load_sample("gravel", channels=1, size=(20, 30))
    assert gray.shape == (1, 20, 30)
    rgb_from_gray = load_sample("gravel", channels=3, size=(20, 30))
    assert torch.allclose(rgb_from_gray[0], rgb_from_gray[2]) and torch.allclose(rgb_from_gray[0], gray[0], atol=1e-6)
    coffee = load_sample("coffee")  # 400 x 600, aspect kept by max_side
    assert coffee.shape == (3, 400, 600)
    assert load_sample("coffee", max_side=60).shape == (3, 40, 60)


def test_unknown_sample_lists_the_valid_ones():
    with pytest.raises(ValueError, match="sample:astronaut.*sample:coffee"):
        load_image("sample:nope")


def test_image_paths_work_and_bad_files_name_the_file(tmp_path):
    arr = (np.random.default_rng(0).random((12, 10, 3)) * 255).astype(np.uint8)
    Image.fromarray(arr).save(tmp_path / "pic.png")
    img = load_image(tmp_path / "pic.png", channels=3)
    assert img.shape == (3, 12, 10)
    np.testing.assert_allclose(img.permute(1, 2, 0).numpy(), arr / 255.0, atol=1e-6)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(BadImageError, match="broken.png"):
        load_image(tmp_path / "broken.png")
    assert image_label("sample:coffee") == "coffee" and image_label(tmp_path / "pic.png") == "pic"


def test_max_side_decodes_a_file_already_reduced(tmp_path):
    yy, xx = np.mgrid[0:600, 0:800]
    arr = np.stack([xx * 255 // 800, yy * 255 // 600, np.full_like(xx, 90)], -1).astype(np.uint8)
    Image.fromarray(arr).save(tmp_path / "wide.png")
    img = load_image(tmp_path / "wide.png", 3, max_side=40)
    assert img.shape == (3, 30, 40)  # aspect kept, as resize(max_side=) does for samples
    full = torch.from_numpy(arr.astype(np.float32) / 255).permute(2, 0, 1)
    ref = torch.nn.functional.interpolate(full[None], size=(30, 40), mode="bilinear", antialias=True)[0]
    assert float((img - ref).abs().mean()) < 0.01
