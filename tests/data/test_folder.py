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


def _png(width, height, color_type=0, idat=None):
    """PNG bytes with the given header; ``idat`` defaults to one compressed row of zeros (a tiny file)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    channels = {0: 1, 2: 3}[color_type]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    idat = zlib.compress(bytes(1 + width * channels)) if idat is None else idat
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


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


def _stderr_lines(capfd):
    return [line for line in capfd.readouterr().err.splitlines() if line.strip()]


def test_bad_files_skipped_with_one_plain_line_listing_paths_and_count(image_tree, capfd):
    root = image_tree({"a": 3, "b": 3})
    bad = _add_bad_files(root)
    capfd.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reported on stderr, not as a Python warning
        bundle = load_dataset(_cfg(root))  # default policy: skip
    lines = [line for line in _stderr_lines(capfd) if "unreadable" in line]
    assert len(lines) == 1, lines  # one line: no "file.py:LINE: UserWarning" header, no source line under it
    assert lines[0].startswith(f"dlbox: skipped {len(bad)} unreadable file(s)")
    for p in bad:
        assert str(p) in lines[0]
    assert ".py:" not in lines[0] and "Warning" not in lines[0]
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


def _all_bad_tree(tmp_path):
    root = tmp_path / "allbad"
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
        (root / c / "x.txt").write_text("x")
    return root


def test_all_files_bad_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="no readable images"):
        load_dataset(_cfg(_all_bad_tree(tmp_path)))


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


def test_streaming_skips_unidentifiable_files_with_one_line(image_tree, capfd):
    root = image_tree({"a": 3, "b": 3})
    corrupt = root / "a" / "corrupt.png"
    corrupt.write_bytes(os.urandom(300))
    notes = root / "b" / "notes.txt"
    notes.write_text("hi")
    capfd.readouterr()
    bundle = load_dataset(_cfg(root, in_memory_limit_mb=0))
    lines = _stderr_lines(capfd)
    assert len(lines) == 1 and "skipped 2 unreadable" in lines[0]
    assert str(corrupt) in lines[0] and str(notes) in lines[0]
    _, labels = _all_images(bundle)
    assert sorted(labels) == [0, 0, 0, 1, 1, 1]
    with pytest.raises(DatasetError) as exc:
        load_dataset(_cfg(root, in_memory_limit_mb=0, on_bad_image="fail"))
    assert str(corrupt) in str(exc.value) and str(notes) in str(exc.value)


def test_streaming_skips_truncated_images(image_tree, capfd):
    root = image_tree({"a": 3, "b": 3})
    bad = [_truncated(root / "a" / "trunc.png", "png"), _truncated(root / "b" / "trunc.jpg", "jpg")]
    capfd.readouterr()
    bundle = load_dataset(_cfg(root, in_memory_limit_mb=0, image_size=8))
    _, labels = _all_images(bundle)
    assert sorted(labels) == [0, 0, 0, 1, 1, 1]
    err = capfd.readouterr().err
    assert all(str(p) in err for p in bad)


def test_streaming_reports_a_file_failing_at_decode_once(image_tree, capfd):
    """A body that breaks only on decode (header and end marker intact) is replaced and named once, not per access."""
    root = image_tree({"a": 3, "b": 3}, formats=("png",))
    broken = root / "a" / "broken.png"
    broken.write_bytes(_png(8, 8, 2, idat=b"\x78\x9c" + bytes(range(7, 200))))  # valid chunks, garbage zlib stream
    bundle = load_dataset(_cfg(root, in_memory_limit_mb=0, image_size=8))
    capfd.readouterr()
    split = bundle.train
    i = split.files.index(broken)  # passed header verification (CRCs are right)
    items = [split[i] for _ in range(3)]
    assert all(item["image"].shape == (3, 8, 8) for item in items)
    lines = _stderr_lines(capfd)
    assert len(lines) == 1 and str(broken) in lines[0] and "using the next image instead" in lines[0]


def test_streaming_all_files_bad_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="no readable images"):
        load_dataset(_cfg(_all_bad_tree(tmp_path), in_memory_limit_mb=0, image_size=8))


# --- issue 12: real image folders -------------------------------------------------------------------------------


def _photo(path, h=3000, w=4000, fmt="JPEG"):
    """A smooth h x w RGB picture (compresses to little, decodes to h*w*3 bytes)."""
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) % 256], -1).astype(np.uint8)
    Image.fromarray(arr).save(path, format=fmt)
    return path


_PEAK_SCRIPT = """
import json, resource, sys
from dlbox.config import DataConfig
from dlbox.data import load_dataset

def peak_rss():  # bytes; VmHWM starts afresh at exec, ru_maxrss may carry the forking parent's peak on Linux
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)

base = peak_rss()
bundle = load_dataset(DataConfig(name="folder:" + sys.argv[1], val_fraction=0.0, test_fraction=0.0))
peak = peak_rss()
print(json.dumps({"base": base, "peak": peak, "shape": list(bundle.train["image"].shape), "size": list(bundle.image_size),
                  "chosen": bundle.info["image_size_chosen"], "reason": bundle.info["image_size_reason"]}))
"""


def test_one_large_photo_does_not_decide_the_size_or_the_memory(tmp_path):
    """A 4000x3000 JPEG sorted first among 32x32 images: 32x32 training size, peak RSS far from the 47 GB of issue 12."""
    import json
    import subprocess
    import sys

    root = tmp_path / "photos"
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
    _photo(root / "a" / "000_camera.jpg")
    rng = np.random.default_rng(0)
    for i in range(32):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(root / "ab"[i % 2] / f"{i + 1:03d}.png")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(root)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["shape"] == [33, 3, 32, 32] and r["size"] == [32, 32] and r["chosen"] == [32, 32]
    assert "median of 33" in r["reason"] and "1 of 33 images resized" in r["reason"]
    # before: 33 images at 3000x4000 float32 = 33 * 144 MB, held twice (list + stack), ~9.5 GB
    full_res = 33 * 3 * 3000 * 4000 * 4
    assert r["peak"] < 2 * 2**30
    assert r["peak"] - r["base"] < full_res / 20  # the load itself: well under one twentieth of that
    assert "training size 32x32" in out.stderr and "median" in out.stderr  # told to the user, one plain line
    print(f"peak RSS {r['peak'] / 2**20:.0f} MB (after imports {r['base'] / 2**20:.0f} MB)")


def test_default_size_is_capped_and_stated(tmp_path, capfd):
    root = tmp_path / "big"
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
        for i in range(2):
            _photo(root / c / f"{i}.png", h=300, w=200, fmt="PNG")
    capfd.readouterr()
    bundle = load_dataset(_cfg(root))
    assert bundle.image_size == (128, 85)  # 300x200 scaled so the longer side is 128, aspect kept
    assert bundle.info["image_size_chosen"] == [128, 85]
    assert "all 4 images are 300x200" in bundle.info["image_size_reason"] and "128" in bundle.info["image_size_reason"]
    assert bundle.train["image"].shape == (4, 3, 128, 85)
    # the pixels are the picture reduced, not garbage: compare with a full-size decode resized by torch
    full = torch.from_numpy(np.asarray(Image.open(root / "a" / "0.png"), np.float32) / 255).permute(2, 0, 1)
    ref = torch.nn.functional.interpolate(full[None], size=(128, 85), mode="bilinear", antialias=True)[0]
    assert min(float((im - ref).abs().mean()) for im in bundle.train["image"]) < 0.01
    err = capfd.readouterr().err
    assert "training size 128x85" in err
    given = load_dataset(_cfg(root, image_size=16))
    assert given.info["image_size_chosen"] == [16, 16] and given.info["image_size_reason"] == "data.image_size"


def test_median_size_of_mixed_folder(tmp_path):
    root = tmp_path / "mixed"
    sizes = {"a": [(64, 64), (20, 30), (40, 10)], "b": [(20, 30), (20, 30)]}  # a/0.png, sorted first, is the odd one
    for c, hws in sizes.items():
        (root / c).mkdir(parents=True)
        for i, (h, w) in enumerate(hws):
            Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(root / c / f"{i}.png")
    bundle = load_dataset(_cfg(root))
    hs = sorted(h for v in sizes.values() for h, _ in v)
    ws = sorted(w for v in sizes.values() for _, w in v)
    assert bundle.image_size == (hs[2], ws[2]) == (20, 30)  # median height and width, independently


@pytest.mark.parametrize("limit_mb", [1024, 0])
def test_decompression_bombs_are_skipped_and_named(image_tree, capfd, limit_mb):
    root = image_tree({"a": 3, "b": 3})
    claims = root / "a" / "claims_13000.png"
    claims.write_bytes(_png(13000, 13000))  # a few hundred bytes claiming 169 M pixels (Pillow only warns)
    huge = root / "b" / "claims_20000.png"
    huge.write_bytes(_png(20000, 20000, 2))  # above twice the limit: Pillow's DecompressionBombError
    assert claims.stat().st_size < 1000 and huge.stat().st_size < 1000
    capfd.readouterr()
    bundle = load_dataset(_cfg(root, in_memory_limit_mb=limit_mb))
    assert bundle.image_size == (8, 8)  # the claims decide nothing
    skipped = bundle.info["skipped"]
    assert {s.split(" (")[0] for s in skipped} == {str(claims), str(huge)}
    assert all("decompression bomb" in s for s in skipped)
    line = next(line for line in capfd.readouterr().err.splitlines() if "unreadable" in line)
    assert "skipped 2 unreadable" in line and str(claims) in line and str(huge) in line
    _, labels = _all_images(bundle)
    assert sorted(labels) == [0, 0, 0, 1, 1, 1]
    with pytest.raises(DatasetError) as exc:
        load_dataset(_cfg(root, in_memory_limit_mb=limit_mb, on_bad_image="fail"))
    assert str(claims) in str(exc.value) and str(huge) in str(exc.value) and "decompression bomb" in str(exc.value)


def test_one_class_folder_fails_at_once(image_tree):
    root = image_tree({"cat": 4})
    with pytest.raises(ValueError) as exc:
        load_dataset(_cfg(root))
    msg = str(exc.value)
    assert "at least 2 classes" in msg and "classification" in msg and str(root) in msg and "'cat'" in msg
    with pytest.raises(ValueError, match="at least 2 classes"):
        load_dataset(_cfg(root, in_memory_limit_mb=0))  # streaming too


def test_choose_image_size_properties():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from dlbox.data.folder import choose_image_size

    sizes_st = st.lists(st.tuples(st.integers(1, 5000), st.integers(1, 5000)), min_size=1, max_size=30)

    @settings(max_examples=200, deadline=None)
    @given(sizes_st, st.integers(8, 512), st.tuples(st.integers(1, 20000), st.integers(1, 20000)))
    def check(sizes, max_side, outlier):
        (h, w), reason = choose_image_size(sizes, max_side)
        mh = int(np.sort([s[0] for s in sizes])[(len(sizes) - 1) // 2])  # lower median, by numpy
        mw = int(np.sort([s[1] for s in sizes])[(len(sizes) - 1) // 2])
        assert max(h, w) <= max_side and min(h, w) >= 1
        if max(mh, mw) <= max_side:
            assert (h, w) == (mh, mw)
        else:  # scaled down, aspect kept: each side within half a pixel of the exact scaling (or clamped at 1 px)
            scale = max_side / max(mh, mw)
            assert max(h, w) == max_side
            assert all(abs(got - exact * scale) <= 0.5 + 1e-9 or got == 1 for got, exact in ((h, mh), (w, mw)))
            assert f"{max_side} px" in reason
        # one file of any size cannot move the choice of a folder whose other images agree
        same = [sizes[0]] * 3
        assert choose_image_size([outlier, *same], max_side)[0] == choose_image_size(same, max_side)[0]

    check()
