"""Hand-made run directories, one per status, as dlbox writes them (and as older dlbox versions wrote them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
import yaml


def png(path: Path, seed: int = 0, size: int = 12) -> Path:
    """A small real PNG (PIL), so a page's <img> has something to load."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def plot(path: Path) -> Path:
    """A matplotlib figure saved as PNG (the way tasks draw curves.png)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [1.0, 0.5, 0.2])
    fig.savefig(path, dpi=40)
    plt.close(fig)
    return path


def run_json(task: str, **extra) -> dict:
    return {"task": task, "command": ["dlbox", task, "train", "--epochs", "2"], "started": "2026-01-02T03:04:05",
            "host": "testhost", "platform": "Linux-test", "python": "3.11.0", "torch": "2.5.0", "dlbox": "0.1.0",
            "pid": 123, **extra}


CLASSIFY_METRICS = {"test_acc": 0.9731, "test_loss": 0.0812, "best_val_acc": 0.98, "epochs": 2, "steps": 40,
                    "train_time_s": 12.5, "model": {"name": "cnn", "kwargs": {}}, "per_class": {"0": 0.9, "1": 1.0},
                    "confusion_matrix": [[9, 1], [0, 10]], "stopped_by": "epochs"}


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    """``runs/`` holding a complete classify run (run.json, config, metrics, curves, a gallery, images/ with 30
    predictions and an awkward file name), an unfinished segment run, a failed detect run, and an old classify
    run ``runs/classify/x`` (config.yaml + metrics.json only)."""
    root = tmp_path / "runs"
    good = root / "classify" / "good"
    good.mkdir(parents=True)
    (good / "run.json").write_text(json.dumps(run_json("classify", finished="2026-01-02T03:05:00", seconds=55.0)))
    (good / "config.yaml").write_text(yaml.safe_dump({"name": "good", "model": {"name": "cnn"}, "train": {"epochs": 2},
                                                      "classify": {"weights": None}, "note": "<script>x</script>"}))
    plot(good / "curves.png")
    png(good / "confusion_matrix.png", 1)
    png(good / "sample:coffee mask.png", 2)
    for i in range(30):
        png(good / "images" / f"{i:03d}.png", 10 + i, size=4)
    (good / "metrics.json").write_text(json.dumps(CLASSIFY_METRICS))

    killed = root / "segment" / "killed"
    (killed / "checkpoints").mkdir(parents=True)
    (killed / "run.json").write_text(json.dumps(run_json("segment", started="2026-01-03T00:00:00")))
    (killed / "config.yaml").write_text(yaml.safe_dump({"model": {"name": "unet"}, "train": {}, "segment": {}}))
    plot(killed / "curves.png")

    broke = root / "detect" / "broke"
    broke.mkdir(parents=True)
    (broke / "run.json").write_text(json.dumps(run_json("detect", started="2026-01-04T00:00:00")))
    (broke / "failed.json").write_text(json.dumps({"error": "loss is nan at step 3 <check lr>", "type": "FloatingPointError",
                                                   "traceback": "Traceback (most recent call last):\n  boom", "at": "2026-01-04T00:01:00"}))

    old = root / "classify" / "x"
    old.mkdir(parents=True)
    (old / "config.yaml").write_text(yaml.safe_dump({"model": {"name": "resnet18"}, "train": {}, "classify": {}}))
    (old / "metrics.json").write_text(json.dumps({"test_acc": 0.5, "test_loss": 1.25, "epochs": 1}))
    png(old / "confusion_matrix.png", 3)
    return root


# A strict-enough reading of a generated page: balanced tags, links, images, data-metric figures.

VOID = {"meta", "link", "img", "br", "hr", "input", "source", "wbr"}


@dataclass
class Page:
    images: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)  # data-metric -> json-decoded data-value
    tags: list[str] = field(default_factory=list)
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.stack = Page(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.page.tags.append(tag)
        if tag == "img":
            self.page.images.append(a)
        for name in ("href", "src"):
            if a.get(name) is not None:
                self.page.links.append(a[name])
        if "data-metric" in a:
            self.page.figures.setdefault(a["data-metric"], json.loads(a["data-value"]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        if not self.stack or self.stack[-1] != "style":
            self.page.text += data


def read_page(path: Path) -> Page:
    """Parse ``path``; asserts balanced tags, no network URL, and that every local link/image exists."""
    reader = _Reader()
    html = path.read_text()
    reader.feed(html)
    reader.close()
    assert reader.stack == [], f"unclosed tags {reader.stack}"
    page = reader.page
    assert page.tags.count("html") == page.tags.count("body") == 1
    assert 'name="viewport"' in html and "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html and "//" not in "".join(page.links).replace(":///", "")
    for link in page.links:
        parts = urlsplit(link)
        assert not parts.scheme and not parts.netloc, link
        target = (path.parent / unquote(parts.path)).resolve()
        assert target.exists(), f"{link} -> {target} does not exist"
    for image in page.images:
        assert image.get("alt"), image
    return page


@pytest.fixture(name="read_page")
def read_page_fixture():
    """:func:`read_page`, for the tests."""
    return read_page
