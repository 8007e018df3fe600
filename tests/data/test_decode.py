"""decode_file / header_size: bounded-memory decoding (JPEG drafts, box reduction) and refused decompression bombs."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, JpegImagePlugin

from dlbox.data.decode import BadImageError, check_pixel_limit, decode_file, header_size


def _png(width, height):
    """A tiny PNG whose header claims ``width`` x ``height`` (8-bit gray, one row of pixel data)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(width + 1))) + chunk(b"IEND", b"")


def _smooth(h, w):
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 255 // w, yy * 255 // h, (xx // 7 + yy // 5) % 2 * 200], -1).astype(np.uint8)  # (H, W, 3)


def _reference(arr, size):
    """Oracle: full-size float image, then torch's antialiased bilinear resize."""
    full = torch.from_numpy(arr.astype(np.float32) / 255).permute(2, 0, 1)
    return F.interpolate(full[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]


def test_large_jpeg_is_decoded_through_a_draft(tmp_path, monkeypatch):
    arr = _smooth(1200, 1600)
    path = tmp_path / "photo.jpg"
    Image.fromarray(arr).save(path, quality=95)
    drafts = []
    real = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        out = real(self, mode, size)
        drafts.append(self.size)  # the size the decoder will produce
        return out

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    t = decode_file(path, 3, (30, 40))
    assert t.shape == (3, 30, 40) and t.dtype == torch.float32
    assert drafts == [(200, 150)]  # 1/8 of each side: the largest DCT scale still at least 40x30
    assert float((t - _reference(arr, (30, 40))).abs().mean()) < 0.03


def test_large_png_is_box_reduced_to_the_same_picture(tmp_path):
    arr = _smooth(900, 700)
    path = tmp_path / "big.png"
    Image.fromarray(arr).save(path)
    t = decode_file(path, 3, (45, 35))
    assert t.shape == (3, 45, 35)
    assert float((t - _reference(arr, (45, 35))).abs().mean()) < 0.02
    gray = decode_file(path, 1, (45, 35))  # converted after the reduction: still the luma of the same picture
    luma = (0.299 * t[0] + 0.587 * t[1] + 0.114 * t[2])[None]
    assert gray.shape == (1, 45, 35) and float((gray - luma).abs().max()) < 0.01


def test_rgba_is_composited_before_it_is_reduced(tmp_path):
    arr = np.zeros((64, 64, 4), np.uint8)
    arr[:, :32] = (255, 0, 0, 255)  # opaque red left half, transparent (black) right half
    path = tmp_path / "a.png"
    Image.fromarray(arr).save(path)
    t = decode_file(path, 3, (8, 8))
    assert torch.allclose(t[:, :, :3], torch.tensor([1.0, 0.0, 0.0])[:, None, None].expand(3, 8, 3), atol=1e-6)
    assert torch.allclose(t[:, :, 5:], torch.ones(3, 8, 3), atol=1e-6)  # white, not black bleeding in


def test_16bit_gray_is_reduced_without_clipping(tmp_path):
    arr = (np.linspace(0, 65535, 64 * 48).reshape(64, 48)).astype(np.uint16)
    path = tmp_path / "g16.png"
    Image.fromarray(arr).save(path)
    assert Image.open(path).mode.startswith("I;16")
    t = decode_file(path, 1, (16, 12))
    ref = F.interpolate(torch.from_numpy(arr.astype(np.float32) / 65535)[None, None], size=(16, 12), mode="bilinear", antialias=True)[0]
    assert t.shape == (1, 16, 12) and float(t.max()) > 0.9  # not clipped at 255/65535
    assert float((t - ref).abs().max()) < 0.01


@pytest.mark.parametrize("side", [13000, 20000])  # 13000: over Pillow's limit (it only warns); 20000: over twice it (it raises)
def test_decompression_bomb_is_refused_by_path(tmp_path, side):
    path = tmp_path / f"claims_{side}.png"
    path.write_bytes(_png(side, side))
    assert path.stat().st_size < 1000
    for read in (lambda: decode_file(path, 3, (8, 8)), lambda: header_size(path)):
        with pytest.raises(BadImageError) as exc:
            read()
        assert exc.value.path == path and str(path) in str(exc.value) and "decompression bomb" in str(exc.value)


def test_pixel_limit_follows_pillow_setting(tmp_path, monkeypatch):
    path = tmp_path / "x.png"
    Image.fromarray(np.zeros((10, 20), np.uint8)).save(path)
    assert header_size(path) == (10, 20)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 199)
    with pytest.raises(BadImageError, match="10x20|20x10"):
        decode_file(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # the user switched the limit off
    check_pixel_limit(path, (10**6, 10**6))
    assert decode_file(path, 1).shape == (1, 10, 20)


def test_header_size_reads_no_pixels(tmp_path):
    path = tmp_path / "t.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (60, 90, 3), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # pixels cut off: the header is still readable
    assert header_size(path) == (60, 90)
    with pytest.raises(BadImageError):
        decode_file(path)
