"""``folder:PATH``: ImageFolder trees, the bad-image policy, streaming, and never touching user files."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import Dataset

from dlbox.config import DataConfig
from dlbox.data import DatasetError, list_datasets, load_dataset, make_loader, split_len


def _cfg(root, **kw):
    kw.setdefault("val_fraction", 0.0)
    kw.setdefault("test_fraction", 0.0)
    return DataConfig(name=f"folder:{root}", **kw)


def _all_images(bundle):
    """Every (image, label) of every split, for in-memory and streaming bundles alike."""
    images, labels = [], []
    for split in (bundle.train, bundle.val, bundle.test):
        if isinstance(split, dict):
            images += list(split["image"])
            labels += split["label"].tolist()
        else:
            for i in range(len(split)):
                item = split[i]
                images.append(item["image"])
                labels.append(int(item["label"]))
    return images, labels


def _truncated(path, fmt, size=48):
    """A valid ``fmt`` image of ``size`` px cut to half its bytes."""
    arr = np.random.default_rng(size).integers(0, 256, (size, size, 3), dtype=np.uint8)
    full = path.with_name("full_" + path.name)
    Image.fromarray(arr).save(full, format={"png": "PNG", "jpg": "JPEG"}[fmt])
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def _add_bad_files(root):
    """One of each kind of bad file, spread over the classes; returns their paths."""
    corrupt = root / "a" / "corrupt.png"
    corrupt.write_bytes(os.urandom(300))
    notes = root / "b" / "notes.txt"
    notes.write_text("not an image\n")
    return [corrupt, _truncated(root / "a" / "trunc.png", "png"), _truncated(root / "b" / "trunc.jpg", "jpg"), notes]


def _snapshot(root):
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None, p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(root.rglob("*"))
    }


def test_clean_tree_loads_in_memory(image_tree):
    root = image_tree({"cat": 4, "dog": 3}, size=(6, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean tree warns about nothing
        bundle = load_dataset(_cfg(root))
    assert bundle.class_names == ["cat", "dog"]
    assert bundle.in_channels == 3 and bundle.image_size == (6, 10)
    assert isinstance(bundle.train, dict)
    images, labels = _all_images(bundle)
    assert sorted(labels) == [0] * 4 + [1] * 3
    assert all(im.shape == (3, 6, 10) and im.min() >= 0 and im.max() <= 1 for im in images)
    assert bundle.info["skipped"] == []


def test_grayscale_option_and_resize(image_tree):
    root = image_tree({"a": 2, "b": 2})
    bundle = load_dataset(_cfg(root, grayscale=True, image_size=5))
    assert bundle.in_channels == 1 and bundle.image_size == (5, 5)
    assert bundle.train["image"].shape[1:] == (1, 5, 5)


def test_mixed_modes_and_sizes_load_to_same_channels(tmp_path):
    root = tmp_path / "mixed"
    (root / "x").mkdir(parents=True)
    (root / "y").mkdir()
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(root / "x" / "0_rgb.png")
    Image.fromarray(rgb[..., 0]).save(root / "x" / "1_gray.png")  # L
    Image.fromarray(np.dstack([rgb, np.full((8, 8), 128, np.uint8)])).save(root / "x" / "2_rgba.png")
    Image.fromarray(rgb).convert("P", palette=Image.ADAPTIVE, colors=8).save(root / "y" / "3_palette.png")
    Image.fromarray(rgb[..., 1]).save(root / "y" / "4_gray.jpg")
    Image.fromarray(rng.integers(0, 256, (12, 5, 3), dtype=np.uint8)).save(root / "y" / "5_other_size.bmp")
    Image.fromarray(rgb[..., 2] > 127).save(root / "y" / "6_bilevel.png")  # mode 1
    for grayscale, channels in ((False, 3), (True, 1)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            bundle = load_dataset(_cfg(root, grayscale=grayscale))
        images, labels = _all_images(bundle)
        assert len(images) == 7 and sorted(labels) == [0, 0, 0, 1, 1, 1, 1]
        assert bundle.in_channels == channels
        assert all(im.shape == (channels, 8, 8) for im in images)
    # a grayscale file read as RGB has three equal channels
    bundle = load_dataset(_cfg(root))
    gray = torch.from_numpy(rgb[..., 0]).float() / 255
    matches = [im for im in bundle.train["image"] if torch.allclose(im, gray.expand(3, 8, 8))]
    assert len(matches) == 1


def test_hidden_files_are_ignored(image_tree):
    root = image_tree({"a": 2, "b": 2})
    (root / "a" / ".DS_Store").write_bytes(b"\x00\x01junk")
    (root / ".cache").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bundle = load_dataset(_cfg(root))
    assert bundle.class_names == ["a", "b"] and split_len(bundle.train) == 4


def test_bad_files_skipped_with_one_warning_listing_paths_and_count(image_tree):
    root = image_tree({"a": 3, "b": 3})
    bad = _add_bad_files(root)
    with pytest.warns(UserWarning) as record:
        bundle = load_dataset(_cfg(root))  # default policy: skip
    msgs = [str(w.message) for w in record if "unreadable" in str(w.message)]
    assert len(msgs) == 1
    assert f"{len(bad)} unreadable" in msgs[0]
    for p in bad:
        assert str(p) in msgs[0]
    assert {s.split(" (")[0] for s in bundle.info["skipped"]} == {str(p) for p in bad}
    _, labels = _all_images(bundle)
    assert sorted(labels) == [0, 0, 0, 1, 1, 1]


def test_bad_files_fail_policy_names_every_path(image_tree):
    root = image_tree({"a": 3, "b": 3})
    bad = _add_bad_files(root)
    with pytest.raises(DatasetError) as exc:
        load_dataset(_cfg(root, on_bad_image="fail"))
    for p in bad:
        assert str(p) in str(exc.value)
    assert str(len(bad)) in str(exc.value)


def test_fail_policy_passes_a_clean_tree(image_tree):
    bundle = load_dataset(_cfg(image_tree({"a": 2, "b": 2}), on_bad_image="fail"))
    assert split_len(bundle.train) == 4


def test_invalid_policy_is_error(image_tree):
    with pytest.raises(DatasetError, match="skip"):
        load_dataset(_cfg(image_tree(), on_bad_image="ignore"))


def test_empty_class_folder_names_it(image_tree):
    root = image_tree({"a": 2, "b": 2})
    (root / "empty").mkdir()
    with pytest.raises(DatasetError) as exc:
        load_dataset(_cfg(root))
    assert str(root / "empty") in str(exc.value)


def test_class_with_only_bad_files_names_it(image_tree):
    root = image_tree({"a": 2})
    (root / "junk").mkdir()
    (root / "junk" / "readme.txt").write_text("hi")
    with pytest.raises(DatasetError) as exc, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_dataset(_cfg(root))
    assert str(root / "junk") in str(exc.value)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(DatasetError) as exc:
        load_dataset(DataConfig(name="mnist"))
    assert "mnist" in str(exc.value)
    for name in list_datasets():
        assert name in str(exc.value)
    assert {"digits", "shapes", "folder:PATH"} <= set(list_datasets())


def test_empty_and_missing_trees_are_errors(tmp_path):
    empty = tmp_path / "empty_tree"
    empty.mkdir()
    with pytest.raises(DatasetError, match="no class subfolders"):
        load_dataset(_cfg(empty))
    (empty / "loose.png").write_bytes(b"")  # files directly under the root are not classes
    with pytest.raises(DatasetError, match="no class subfolders"):
        load_dataset(_cfg(empty))
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError) as exc:
        load_dataset(_cfg(missing))
    assert str(missing) in str(exc.value)


def test_all_files_bad_is_a_clear_error(tmp_path):
    root = tmp_path / "allbad"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.txt").write_text("x")
    with pytest.raises(DatasetError, match="no readable images"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_dataset(_cfg(root))


@pytest.mark.parametrize("limit_mb", [1024, 0])
def test_user_files_never_modified(image_tree, limit_mb):
    root = image_tree({"a": 3, "b": 3})
    _add_bad_files(root)
    (root / "b" / "gray.png").write_bytes(b"")  # zero-byte file
    Image.fromarray(np.zeros((8, 8, 4), np.uint8)).save(root / "a" / "rgba.png")
    os.chmod(root / "a" / "000.png", 0o444)
    before = _snapshot(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle = load_dataset(_cfg(root, in_memory_limit_mb=limit_mb, val_fraction=0.2))
    if not limit_mb:  # streaming: decode every item too (in memory, they are decoded already)
        for split in (bundle.train, bundle.val, bundle.test):
            for i in range(len(split)):
                try:
                    split[i]
                except ValueError:
                    pass
    assert _snapshot(root) == before  # same files, bytes, mtimes and modes; nothing added


def test_streaming_path_yields_decodable_dataset(image_tree):
    root = image_tree({"a": 4, "b": 3}, size=(6, 6))
    bundle = load_dataset(_cfg(root, in_memory_limit_mb=0, val_fraction=0.25))
    assert bundle.info.get("streaming") is True
    assert all(isinstance(s, Dataset) and not isinstance(s, dict) for s in (bundle.train, bundle.val, bundle.test))
    assert bundle.in_channels == 3 and bundle.image_size == (6, 6)
    images, labels = _all_images(bundle)
    assert sorted(labels) == [0] * 4 + [1] * 3
    assert all(im.shape == (3, 6, 6) and im.dtype == torch.float32 and 0 <= im.min() <= im.max() <= 1 for im in images)
    # the same pixels as the in-memory path
    mem = load_dataset(_cfg(root, val_fraction=0.25))
    mem_images, _ = _all_images(mem)
    assert sorted(float(im.sum()) for im in images) == pytest.approx(sorted(float(im.sum()) for im in mem_images))
    batches = list(make_loader(bundle.train, 2, shuffle=True, num_workers=0))
    assert sum(len(b["label"]) for b in batches) == split_len(bundle.train)
    assert batches[0]["image"].shape[1:] == (3, 6, 6)


def test_streaming_skips_unidentifiable_files_with_warning(image_tree):
    root = image_tree({"a": 3, "b": 3})
    corrupt = root / "a" / "corrupt.png"
    corrupt.write_bytes(os.urandom(300))
    notes = root / "b" / "notes.txt"
    notes.write_text("hi")
    with pytest.warns(UserWarning, match="2 unreadable") as record:
        bundle = load_dataset(_cfg(root, in_memory_limit_mb=0))
    msg = "\n".join(str(w.message) for w in record)
    assert str(corrupt) in msg and str(notes) in msg
    _, labels = _all_images(bundle)
    assert sorted(labels) == [0, 0, 0, 1, 1, 1]
    with pytest.raises(DatasetError) as exc:
        load_dataset(_cfg(root, in_memory_limit_mb=0, on_bad_image="fail"))
    assert str(corrupt) in str(exc.value) and str(notes) in str(exc.value)


def test_streaming_skips_truncated_images(image_tree):
    root = image_tree({"a": 3, "b": 3})
    bad = [_truncated(root / "a" / "trunc.png", "png"), _truncated(root / "b" / "trunc.jpg", "jpg")]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        bundle = load_dataset(_cfg(root, in_memory_limit_mb=0, image_size=8))
    msg = "\n".join(str(w.message) for w in record)
    assert all(str(p) in msg for p in bad)
    _, labels = _all_images(bundle)  # raises on the truncated JPEG today
    assert sorted(labels) == [0, 0, 0, 1, 1, 1]


def test_streaming_all_files_bad_is_a_clear_error(tmp_path):
    root = tmp_path / "allbad"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.txt").write_text("x")
    with pytest.raises(DatasetError, match="no readable images"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_dataset(_cfg(root, in_memory_limit_mb=0, image_size=8))
