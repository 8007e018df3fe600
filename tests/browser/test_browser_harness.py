"""The harness itself: a good page passes, and each kind of broken page is caught (so a green check means something)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness import assert_metrics_match, assert_page_ok, check_page, overflow_px


def write_png(path: Path, width: int = 5, height: int = 3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((height, width, 3), 200, dtype=np.uint8)).save(path)
    return path


def write_page(folder: Path, body: str, name: str = "page.html") -> Path:
    page = folder / name
    page.write_text(f'<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>{body}</body></html>')
    return page


@pytest.fixture
def good_page(tmp_path: Path) -> Path:
    write_png(tmp_path / "img" / "curves.png", width=7)
    (tmp_path / "metrics.json").write_text("{}")
    return write_page(tmp_path, '<h1>run</h1><img src="img/curves.png" alt="curves">'
                      '<img loading="lazy" src="img/curves.png" style="margin-top:3000px" alt="below the fold">'
                      '<a href="metrics.json">metrics</a> <a href="#top">top</a> <a href="https://arxiv.org/abs/1505.04597">paper</a>'
                      '<span data-metric="test_acc" data-value="0.975">97.5%</span>'
                      '<span data-metric="epochs" data-value="3">3</span>')


def test_good_page_passes_and_everything_is_seen(browser, good_page):
    check = check_page(browser, good_page)
    assert_page_ok(check)
    assert [i.natural_width for i in check.images] == [7, 7]  # the lazy one below the fold was loaded too
    assert [link.href for link in check.links] == ["metrics.json"] and check.links[0].exists
    assert check.metrics == {"test_acc": "0.975", "epochs": "3"}
    assert any(r.url.endswith("img/curves.png") for r in check.requests) and not check.failed_requests
    assert_metrics_match(check, {"test_acc": 0.975, "epochs": 3, "other": 1})


def test_the_same_browser_checks_pages_one_after_another(browser, good_page, tmp_path):
    bad = write_page(tmp_path, '<img src="gone.png">', name="bad.html")
    assert check_page(browser, bad).broken_images
    check = check_page(browser, good_page)  # nothing of the previous page leaks into this one
    assert check.problems() == []


def test_missing_image_is_caught(browser, tmp_path):
    check = check_page(browser, write_page(tmp_path, '<img src="missing.png" alt="x">'))
    assert [i.src for i in check.broken_images] == ["missing.png"]
    assert [r.error for r in check.failed_requests] == ["net::ERR_FILE_NOT_FOUND"]
    with pytest.raises(AssertionError, match="image not loaded.*missing.png"):
        assert_page_ok(check)


def test_external_script_is_caught_even_when_the_request_fails(browser, tmp_path):
    check = check_page(browser, write_page(tmp_path, '<script src="https://example.com/x.js"></script><p>hi</p>'))
    assert [r.url for r in check.external_requests] == ["https://example.com/x.js"]
    with pytest.raises(AssertionError, match="external request: https://example.com/x.js"):
        assert_page_ok(check)


def test_external_stylesheet_and_font_are_caught(browser, tmp_path):
    body = ('<link rel="stylesheet" href="https://fonts.example.org/css?family=X">'
            '<style>@font-face{font-family:F;src:url(https://fonts.example.org/f.woff2)} p{font-family:F}</style><p>text</p>')
    check = check_page(browser, write_page(tmp_path, body))
    assert "https://fonts.example.org/css?family=X" in [r.url for r in check.external_requests]


def test_console_error_and_javascript_error_are_caught(browser, tmp_path):
    check = check_page(browser, write_page(tmp_path, '<script>console.error("boom")</script><script>notDefined()</script>'))
    assert len(check.console_errors) == 2
    assert any('"boom"' in e for e in check.console_errors)
    assert any("notDefined is not defined" in e for e in check.console_errors)
    with pytest.raises(AssertionError, match="console error"):
        assert_page_ok(check)


def test_broken_relative_link_is_caught(browser, tmp_path):
    (tmp_path / "runs" / "a").mkdir(parents=True)
    (tmp_path / "runs" / "a" / "report.html").write_text("<p>a</p>")
    body = '<a href="runs/a/report.html">a</a><a href="runs/b/report.html#top">b</a><a href="runs/a/">folder</a>'
    check = check_page(browser, write_page(tmp_path, body))
    assert [(link.href, link.exists) for link in check.links] == [
        ("runs/a/report.html", True), ("runs/b/report.html#top", False), ("runs/a/", True)]
    with pytest.raises(AssertionError, match="broken relative link.*runs/b/report.html"):
        assert_page_ok(check)


def test_absolute_file_references_are_caught(browser, tmp_path):
    png = write_png(tmp_path / "a.png")
    check = check_page(browser, write_page(tmp_path, f'<img src="{png.as_uri()}"><a href="{png}">abs</a>'))
    assert check.broken_images == [] and check.absolute_refs == [png.as_uri(), str(png)]
    with pytest.raises(AssertionError, match="absolute reference"):
        assert_page_ok(check)


def test_metrics_that_differ_from_metrics_json_are_caught(browser, tmp_path):
    body = ('<b data-metric="test_acc" data-value="0.97">97%</b><b data-metric="test.miou" data-value="0.8125">x</b>'
            '<b data-metric="converged" data-value="true">yes</b><b data-metric="gate" data-value="&quot;nand&quot;">NAND</b>'
            '<b data-metric="loss.-1" data-value="0.5">0.5</b><b data-metric="final.SGD (lr=0.1).x" data-value="2">2</b>')
    check = check_page(browser, write_page(tmp_path, body))
    assert check.metrics["gate"] == '"nand"'  # data-value holds JSON
    good = {"test_acc": 0.97, "test": {"miou": 0.8125}, "converged": True, "gate": "nand", "loss": [1.0, 0.5],
            "final": {"SGD (lr=0.1)": {"x": 2}}}  # a key holding dots
    assert_metrics_match(check, good)
    for key, wrong, message in [("test_acc", 0.975, "'test_acc'.*0.97.*0.975"), ("converged", False, "'converged'"),
                                ("gate", "xor", "'gate'"), ("loss", [0.5, 1.0], "'loss.-1'"),
                                ("test_acc", "0.97", "'test_acc'"), ("converged", 1, "'converged'"),
                                ("final", {"SGD (lr=0.1)": {"x": 3}}, "'final.SGD")]:
        with pytest.raises(AssertionError, match=message):
            assert_metrics_match(check, {**good, key: wrong})
    with pytest.raises(AssertionError, match="not a key of metrics.json"):
        assert_metrics_match(check, {k: v for k, v in good.items() if k != "test"})


def test_a_missing_page_is_a_clear_error(browser, tmp_path):
    with pytest.raises(FileNotFoundError, match="page to check not found"):
        check_page(browser, tmp_path / "nope.html")


def test_sideways_overflow_at_phone_width_is_measured(browser, tmp_path):
    wide = write_page(tmp_path, '<div style="width:900px">wide</div>', name="wide.html")
    fluid = write_page(tmp_path, f'<div style="max-width:900px">fluid</div><pre style="overflow-x:auto">{"x" * 400}</pre>', name="fluid.html")
    size = browser.get_window_size()
    assert overflow_px(browser, wide, width=390) > 400
    assert overflow_px(browser, wide, width=1280) == 0
    assert overflow_px(browser, fluid, width=390) == 0
    assert browser.get_window_size() == size
