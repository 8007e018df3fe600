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


# --- issue 12: classes from the values present; sizes from the headers -------------------------------------------


def _binary_tree(tmp_path, n=4, h=6, w=8):
    img, msk = tmp_path / "images", tmp_path / "masks"
    img.mkdir()
    msk.mkdir()
    for i in range(n):
        _image(img / f"s{i}.png", h, w)
        m = np.zeros((h, w), np.uint8)
        m[h // 2 :, w // 2 :] = 1
        Image.fromarray(m, mode="L").save(msk / f"s{i}.png")
    return img, msk


def _load_as_training_does(img, msk, classes=None, ignore_index=255, size=None):
    # segmentation.data.load_segmentation_data: load_mask_tensors(pairs, channels, size, seg.classes, seg.ignore_index)
    return load_mask_tensors(pair_masks(img, msk), 3, size, classes, ignore_index)


def test_one_stray_pixel_is_an_error_naming_file_and_value(tmp_path):
    img, msk = _binary_tree(tmp_path)
    m = np.array(Image.open(msk / "s2.png"))
    m[0, 1] = 200  # one pixel of 200 in binary masks: was a silent 201-class model
    Image.fromarray(m, mode="L").save(msk / "s2.png")
    with pytest.raises(MaskError) as exc:
        _load_as_training_does(img, msk)
    msg = str(exc.value)
    assert exc.value.path == msk / "s2.png" and msg.startswith(str(msk / "s2.png"))
    assert "mask value 200 (1 pixel(s) in this file)" in msg and "never 2" in msg and "classes.txt" in msg
    # a class list decides K: the value is then out of range, named with its file
    with pytest.raises(MaskError, match=r"s2\.png: mask values \[200\] are outside the 2 classes"):
        _load_as_training_does(img, msk, classes=["background", "object"])
    (msk / "classes.txt").write_text("background\nobject\n")
    with pytest.raises(MaskError, match=r"s2\.png: mask values \[200\]"):
        _load_as_training_does(img, msk)


def test_sparse_values_are_an_error_and_contiguous_ones_infer_k(tmp_path):
    img, msk = _binary_tree(tmp_path)
    assert _load_as_training_does(img, msk)[2] == ["class0", "class1"]
    m = np.array(Image.open(msk / "s3.png"))
    m[0, :2] = 3  # values 0, 1, 3: index 2 never occurs
    m[1, 0] = 255  # the ignore index is never a class
    Image.fromarray(m, mode="L").save(msk / "s3.png")
    with pytest.raises(MaskError, match=r"s3\.png: mask value 3 \(2 pixel\(s\) in this file\).*0, 1, 3 but never 2"):
        _load_as_training_does(img, msk)
    m[0, 2] = 2  # now 0..3 all occur: four classes
    Image.fromarray(m, mode="L").save(msk / "s3.png")
    names = _load_as_training_does(img, msk)[2]
    assert names == ["class0", "class1", "class2", "class3"]


def test_one_large_pair_does_not_decide_the_size(tmp_path, capfd):
    img, msk = _binary_tree(tmp_path, n=5, h=24, w=32)
    big = np.zeros((900, 1200), np.uint8)
    big[450:, 600:] = 1
    Image.fromarray(np.full((900, 1200, 3), 120, np.uint8)).save(img / "a_big.jpg")  # sorted first
    Image.fromarray(big, mode="L").save(msk / "a_big.png")
    info = {}
    images, masks, names = load_mask_tensors(pair_masks(img, msk), 3, None, None, 255, info=info)
    assert images.shape == (6, 3, 24, 32) and masks.shape == (6, 24, 32) and names == ["class0", "class1"]
    assert info["image_size_chosen"] == [24, 32] and "median of 6" in info["image_size_reason"]
    assert "training size 24x32" in capfd.readouterr().err
    expect = torch.zeros(24, 32, dtype=torch.long)
    expect[12:, 16:] = 1
    assert torch.equal(masks[0], expect)  # the big mask, nearest-resized: still its quadrant, still 0/1


def test_nearest_resize_matches_torch_nearest_exact():
    from dlbox.data.masks import _nearest

    rng = np.random.default_rng(0)
    for h0, w0, h, w in [(37, 53, 8, 11), (12, 16, 8, 8), (5, 7, 13, 9), (100, 3, 7, 3)]:
        m = rng.integers(0, 256, (h0, w0)).astype(np.uint8)
        ref = torch.nn.functional.interpolate(torch.from_numpy(m)[None, None].float(), size=(h, w), mode="nearest-exact")[0, 0]
        assert np.array_equal(_nearest(m, (h, w)), ref.numpy().astype(np.uint8)), (h0, w0, h, w)
