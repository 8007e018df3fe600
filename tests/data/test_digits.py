"""``digits``: scikit-learn's bundled 8x8 digits, optional resize, loaded and split via load_dataset."""

from __future__ import annotations

import pytest
import torch

from dlbox.config import DataConfig
from dlbox.data import load_dataset, split_len
from dlbox.data.digits import load_digits_tensors


@pytest.fixture(scope="module")
def digits():
    return load_digits_tensors()


def test_native_digits_shape_range_and_classes(digits):
    images, labels = digits
    assert images.shape == (1797, 1, 8, 8)
    assert images.dtype == torch.float32
    assert labels.shape == (1797,) and labels.dtype == torch.int64
    assert images.min() >= 0 and images.max() <= 1
    assert images.max() == 1  # raw values 0..16 are scaled by 1/16, not by the batch max
    assert sorted(torch.unique(labels).tolist()) == list(range(10))
    assert torch.bincount(labels).min() >= 170  # roughly balanced (about 180 each)


def test_resize_keeps_range_and_content(digits):
    images, labels = digits
    big, big_labels = load_digits_tensors(16)
    assert big.shape == (1797, 1, 16, 16)
    assert big.min() >= 0 and big.max() <= 1
    assert torch.equal(big_labels, labels)
    # Downsampling the resized image again stays close to the original.
    back = torch.nn.functional.avg_pool2d(big, 2)
    assert (back - images).abs().mean() < 0.1


def test_resize_to_native_size_is_identity(digits):
    same, _ = load_digits_tensors(8)
    assert torch.equal(same, digits[0])


def test_load_dataset_digits_bundle():
    cfg = DataConfig(name="digits", val_fraction=0.1, test_fraction=0.2, split_seed=3)
    bundle = load_dataset(cfg)
    assert bundle.class_names == [str(i) for i in range(10)]
    assert bundle.num_classes == 10
    assert bundle.in_channels == 1 and bundle.image_size == (8, 8)
    sizes = [split_len(s) for s in (bundle.train, bundle.val, bundle.test)]
    assert sum(sizes) == 1797
    assert abs(sizes[2] - 0.2 * 1797) <= 10 and abs(sizes[1] - 0.1 * 1797) <= 10
    # The split is recorded so the run config can reproduce it.
    assert bundle.info["split_seed"] == 3
    assert bundle.info["sizes"] == {"train": sizes[0], "val": sizes[1], "test": sizes[2]}
    for split in (bundle.train, bundle.val, bundle.test):
        assert split["image"].shape[1:] == (1, 8, 8)
        assert len(torch.unique(split["label"])) == 10  # stratified: every class in every split


def test_load_dataset_digits_resized_and_reproducible():
    a = load_dataset(DataConfig(name="digits", image_size=12, split_seed=1))
    b = load_dataset(DataConfig(name="digits", image_size=12, split_seed=1))
    c = load_dataset(DataConfig(name="digits", image_size=12, split_seed=2))
    assert a.image_size == (12, 12)
    assert torch.equal(a.test["image"], b.test["image"]) and torch.equal(a.test["label"], b.test["label"])
    assert not torch.equal(a.test["image"], c.test["image"])


def test_train_per_class_keeps_n_per_class():
    bundle = load_dataset(DataConfig(name="digits", train_per_class=5))
    assert torch.bincount(bundle.train["label"], minlength=10).tolist() == [5] * 10


def test_the_file_reader_equals_scikit_learn_and_imports_no_sklearn():
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    from dlbox.data.digits import load_digits_tensors

    images, labels = load_digits_tensors()
    raw = load_digits()
    assert torch.equal(images, torch.from_numpy(raw.images).float().div(16.0).unsqueeze(1))
    assert torch.equal(labels, torch.from_numpy(raw.target).long())
    code = "import sys; from dlbox.data.digits import load_digits_tensors; load_digits_tensors(); print('sklearn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
