"""Real reports in a real browser: tiny runs -> ``dlbox.report.write_report`` -> Chromium.

Each page must make no request outside its folder, log no console error, load every image, and show headline
figures (``data-metric``/``data-value``) equal to the run's ``metrics.json``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from harness import PageCheck, assert_metrics_match, assert_page_ok, check_page, overflow_px


@pytest.fixture(scope="module")
def report():
    module = pytest.importorskip("dlbox.report", reason="dlbox.report is not there yet (branch h-report)")
    if not hasattr(module, "write_report"):
        pytest.skip("dlbox.report.write_report is not there yet (branch h-report)")
    return module


@pytest.fixture(scope="module")
def perceptron_run(tmp_path_factory) -> Path:
    from dlbox.tasks.fundamentals.studies import run_perceptron_study

    return run_perceptron_study(gate="xor", epochs=20, out=tmp_path_factory.mktemp("fundamentals") / "perceptron").run_dir


@pytest.fixture(scope="module")
def classify_run(tmp_path_factory) -> Path:
    """One epoch of a tiny CNN on digits: curves, confusion matrix, checkpoints, the whole training run layout."""
    from dlbox.config import DataConfig, ModelConfig, OptimConfig, TrainConfig
    from dlbox.tasks.classify.config import ClassifyConfig
    from dlbox.tasks.classify.train import train

    cfg = ClassifyConfig(out=str(tmp_path_factory.mktemp("classify") / "run"), data=DataConfig(name="digits"),
                         model=ModelConfig(name="cnn", kwargs={"channels": [4, 8], "convs_per_stage": 1}),
                         optim=OptimConfig(optimizer="adam", lr=3e-3),
                         train=TrainConfig(epochs=1, batch_size=64, progress=False))
    return train(cfg)


def checked_report(report, browser, run: Path):
    page = report.write_report(run)
    assert page == run / "report.html" and page.is_file()
    check = check_page(browser, page)
    assert_page_ok(check)
    return check


def metrics_of(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


@pytest.mark.parametrize("fixture", ["perceptron_run", "classify_run"])
def test_report_of_a_finished_run_is_clean_and_shows_metrics_json(report, browser, request, fixture):
    run = request.getfixturevalue(fixture)
    check = checked_report(report, browser, run)
    assert check.metrics, "no headline figure (data-metric) on the page"
    assert_metrics_match(check, metrics_of(run))
    assert [h.key for h in report.headline(run)] == list(check.metrics)[: len(report.headline(run))]
    shown = {Path(i.src).name for i in check.images}
    drawn = {p.name for p in run.glob("*.png")}
    assert drawn <= shown or any(i.src.startswith("data:") for i in check.images), f"pictures not shown: {drawn - shown}"
    assert overflow_px(browser, run / "report.html") == 0, "the report scrolls sideways on a phone (390 px)"


def test_report_still_works_when_the_run_folder_moves(report, browser, perceptron_run, tmp_path):
    report.write_report(perceptron_run)
    moved = Path(shutil.copytree(perceptron_run, tmp_path / "elsewhere" / "run"))
    check = check_page(browser, moved / "report.html")
    assert_page_ok(check)
    assert all(i.natural_width > 0 for i in check.images) and check.images


def test_report_of_a_run_made_before_reports_existed(report, browser, digits_classifier_run):
    """The conftest's saved classifier: model files and an empty metrics.json, no run.json, no config.yaml."""
    assert not (digits_classifier_run / "run.json").exists()
    check = checked_report(report, browser, digits_classifier_run)
    assert_metrics_match(check, metrics_of(digits_classifier_run))


def test_report_of_failed_and_unfinished_runs(report, browser, tmp_path):
    started = {"task": "classify", "command": ["dlbox", "classify", "train"], "started": "2025-01-02T03:04:05",
               "host": "h", "platform": "p", "python": "3.11.0", "torch": None, "dlbox": "0.1.0", "pid": 1}
    for status in ("failed", "unfinished"):
        run = tmp_path / status
        run.mkdir()
        (run / "config.yaml").write_text(yaml.safe_dump({"train": {"epochs": 1}}))
        (run / "run.json").write_text(json.dumps(started))
        if status == "failed":
            (run / "failed.json").write_text(json.dumps({"error": "boom <b>not html</b>", "type": "ValueError",
                                                         "traceback": "Traceback ...", "at": "2025-01-02T03:05:00"}))
        assert report.run_status(run) == status
        check = checked_report(report, browser, run)
        assert check.metrics == {}
        text = (run / "report.html").read_text()
        assert status in text.lower()
        if status == "failed":
            assert "boom &lt;b&gt;not html&lt;/b&gt;" in text  # the error is shown, escaped


def test_comparison_page_is_clean_and_each_column_shows_its_run(report, browser, perceptron_run, classify_run, tmp_path):
    runs = [perceptron_run, classify_run]
    for run in runs:
        report.write_report(run)
    page = report.write_comparison(runs, tmp_path / "compare" / "page.html")
    check = check_page(browser, page)
    assert_page_ok(check)
    assert check.metrics and len(check.images) == 1  # only the classify run has curves.png
    # one column per run, in the order given (column 0 holds the row labels)
    cells = browser.execute_script("""return Array.from(document.querySelectorAll('td[data-metric]')).map(
        td => [td.cellIndex, td.getAttribute('data-metric'), td.getAttribute('data-value')]);""")
    for column, run in enumerate(runs, start=1):
        pairs = [(key, value) for index, key, value in cells if index == column]
        assert pairs, f"no figure in the column of {run}"
        assert_metrics_match(PageCheck(path=page, metric_pairs=pairs), metrics_of(run))
    assert {link.target for link in check.links} >= {run / "report.html" for run in runs}
    assert overflow_px(browser, page) == 0, "the comparison page scrolls sideways on a phone (390 px)"
