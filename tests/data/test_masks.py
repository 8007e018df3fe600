"""Mask folders: index and palette PNGs, the ignore index, and every bad input naming its file."""

import numpy as np
import pytest
import torch
from PIL import Image

from dlbox.data.masks import (
    MaskError,
    load_mask_tensors,
    pair_masks,
    parse_masks_name,
    read_mask,
    voc_palette,
    write_mask,
)


def _image(path, h=6, w=8):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)


def _tree(tmp_path, n=3, mask_mode="P"):
    img, msk = tmp_path / "images", tmp_path / "masks"
    img.mkdir()
    msk.mkdir()
    for i in range(n):
        _image(img / f"s{i}.jpg")
        m = np.zeros((6, 8), np.uint8)
        m[2:, 3:] = 1 + i % 2
        m[0, 0] = 255
        if mask_mode == "P":
            write_mask(msk / f"s{i}.png", m)
        else:
            Image.fromarray(m, mode="L").save(msk / f"s{i}.png")
    return img, msk


def test_palette_png_reads_indices_not_colours(tmp_path):
    m = np.array([[0, 1, 2], [15, 255, 3]], np.uint8)
    im = Image.fromarray(m, mode="P")
    im.putpalette(voc_palette().flatten().tolist())  # VOC-style: colours, but the file stores indices
    im.save(tmp_path / "m.png")
    assert Image.open(tmp_path / "m.png").mode == "P"
    assert read_mask(tmp_path / "m.png").tolist() == m.tolist()


@pytest.mark.parametrize("mode", ["P", "L"])
def test_load_folder_with_ignore_index_and_classes_file(tmp_path, mode):
    img, msk = _tree(tmp_path, mask_mode=mode)
    (msk / "classes.txt").write_text("background\ncat\ndog\n")
    images, masks, names = load_mask_tensors(pair_masks(img, msk))
    assert names == ["background", "cat", "dog"]
    assert images.shape == (3, 3, 6, 8) and masks.shape == (3, 6, 8) and masks.dtype == torch.int64
    assert int(masks[0, 0, 0]) == 255 and int(masks[1, 3, 4]) == 2


def test_classes_inferred_without_a_list(tmp_path):
    img, msk = _tree(tmp_path)
    assert load_mask_tensors(pair_masks(img, msk))[2] == ["class0", "class1", "class2"]


def test_mask_without_image_names_the_mask(tmp_path):
    img, msk = _tree(tmp_path)
    write_mask(msk / "orphan.png", np.zeros((6, 8), np.uint8))
    with pytest.raises(MaskError, match=r"orphan\.png: mask has no image"):
        pair_masks(img, msk)


def test_image_without_mask_names_the_image(tmp_path):
    img, msk = _tree(tmp_path)
    _image(img / "lonely.png")
    with pytest.raises(MaskError, match=r"lonely\.png: image has no mask"):
        pair_masks(img, msk)


def test_size_mismatch_names_both_files(tmp_path):
    img, msk = _tree(tmp_path)
    write_mask(msk / "s1.png", np.zeros((6, 7), np.uint8))
    with pytest.raises(MaskError, match=r"s1\.png: mask is 6x7 .*s1\.jpg is 6x8"):
        load_mask_tensors(pair_masks(img, msk))


def test_values_outside_the_classes_name_the_file(tmp_path):
    img, msk = _tree(tmp_path)
    m = np.zeros((6, 8), np.uint8)
    m[1, 1] = 7
    write_mask(msk / "s2.png", m)
    with pytest.raises(MaskError, match=r"s2\.png: mask values \[7\] are outside the 3 classes"):
        load_mask_tensors(pair_masks(img, msk), class_names=["a", "b", "c"])
    # 255 is the ignore index, not an error; another ignore index makes it one
    with pytest.raises(MaskError, match=r"s0\.png: mask values \[255\]"):
        load_mask_tensors(pair_masks(img, msk), class_names=["a", "b", "c", "d", "e", "f", "g", "h"], ignore_index=0)


def test_colour_mask_and_unreadable_files_are_errors(tmp_path):
    img, msk = _tree(tmp_path)
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(msk / "s0.png")
    with pytest.raises(MaskError, match=r"s0\.png: a mask must be a single-channel.*mode RGB"):
        load_mask_tensors(pair_masks(img, msk))
    (msk / "s0.png").write_bytes(b"not a png")
    with pytest.raises(MaskError, match=r"s0\.png: cannot read mask"):
        load_mask_tensors(pair_masks(img, msk))


def test_bad_image_names_the_image(tmp_path):
    img, msk = _tree(tmp_path)
    (img / "s1.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(MaskError, match=r"s1\.jpg: cannot read image"):
        load_mask_tensors(pair_masks(img, msk))


def test_dataset_name_parsing():
    assert parse_masks_name("masks:a/img,b/msk") == (__import__("pathlib").Path("a/img"), __import__("pathlib").Path("b/msk"))
    with pytest.raises(ValueError, match="masks:IMAGES_DIR,MASKS_DIR"):
        parse_masks_name("masks:only_one")


def test_write_mask_round_trip_and_range(tmp_path):
    m = torch.tensor([[0, 3], [255, 1]])
    write_mask(tmp_path / "m.png", m)
    assert read_mask(tmp_path / "m.png").tolist() == m.tolist()
    with pytest.raises(ValueError, match="0..255"):
        write_mask(tmp_path / "bad.png", torch.tensor([[300]]))
