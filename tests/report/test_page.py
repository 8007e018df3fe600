"""report.html and comparison pages: offline, relative, headline equal to metrics.json, warnings for bad runs."""

from __future__ import annotations

import importlib.resources
import json
import shutil

from dlbox.report import describe_run, write_comparison, write_report
from dlbox.report.page import url


def test_complete_run_page(runs_root, read_page):
    run = runs_root / "classify" / "good"
    page = read_page(write_report(run))
    metrics = json.loads((run / "metrics.json").read_text())
    assert page.figures and all(metrics[k] == v for k, v in page.figures.items())
    assert list(page.figures)[0] == "test_acc"
    srcs = [i["src"] for i in page.images]
    assert "curves.png" in srcs and "confusion_matrix.png" in srcs and "sample%3Acoffee%20mask.png" in srcs
    assert sum(s.startswith("images/") for s in srcs) == 24  # capped; the heading says 24 of 30
    assert "first 24 of 30" in page.text
    assert "This run is unfinished" not in page.text and "This run failed" not in page.text
    assert "dlbox classify train --epochs 2" in page.text and "testhost" in page.text and "55 s" in page.text
    assert "Last logged values" not in page.text
    assert "3.1 Convolutions" in page.text
    html = (run / "report.html").read_text()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html  # config escaped
    assert "<details>" in html


def test_unfinished_and_failed_runs_carry_a_warning_at_the_top(runs_root, read_page):
    (runs_root / "segment" / "killed" / "metrics.csv").write_text("epoch,step,train_loss,val_miou\n,5,0.75,\n1,10,,0.625\n")
    killed = write_report(runs_root / "segment" / "killed")
    page = read_page(killed)
    assert page.text.index("This run is unfinished") < page.text.index("Headline") and not page.figures
    assert "--resume" in page.text and "3.11.2 U-net" in page.text
    assert "Last logged values" in page.text and "0.625" in page.text and "0.75" in page.text  # from metrics.csv
    broke = write_report(runs_root / "detect" / "broke")
    page = read_page(broke)
    assert page.text.index("This run failed") < page.text.index("Headline")
    assert "FloatingPointError: loss is nan at step 3 <check lr>" in page.text and "boom" in page.text


def test_old_run_without_run_json_gets_a_page(runs_root, read_page):
    run = runs_root / "classify" / "x"
    page = read_page(write_report(run))
    assert page.figures == {"test_acc": 0.5, "test_loss": 1.25}
    assert "not recorded" in page.text and "file time" in page.text and "3.5 Residual learning" in page.text


def test_a_moved_run_directory_still_shows_its_images(runs_root, tmp_path, read_page):
    write_report(runs_root / "classify" / "good")
    moved = shutil.copytree(runs_root / "classify" / "good", tmp_path / "zip" / "unpacked")
    read_page(moved / "report.html")  # every link resolves in the new place


def test_comparison_puts_both_runs_side_by_side(runs_root, tmp_path, read_page):
    good, old = runs_root / "classify" / "good", runs_root / "classify" / "x"
    write_report(good)
    out = write_comparison([good, old], tmp_path / "pages" / "cmp.html")
    page = read_page(out)  # image links are relative to the page, not to the runs
    html = out.read_text()
    assert 'data-run="good"' in html and 'data-run="x"' in html
    assert [i["src"] for i in page.images] == ["../runs/classify/good/curves.png"]
    assert html.count('data-metric="test_acc"') == 2 and "97.31%" in html and "50.00%" in html
    assert "model.name" in page.text and "resnet18" in page.text  # the config difference


def test_templates_are_package_data():
    folder = importlib.resources.files("dlbox.report") / "templates"
    names = {p.name for p in folder.iterdir()}
    assert {"base.html.j2", "run.html.j2", "compare.html.j2"} <= names


def test_url_encodes_what_would_read_as_a_scheme_or_query():
    assert url("sample:a b.png") == "sample%3Aa%20b.png" and url("images/x#1?.png") == "images/x%231%3F.png"


def test_a_real_fundamentals_run(tmp_path, read_page):
    from dlbox.tasks.fundamentals.studies import run_perceptron_study

    study = run_perceptron_study("nand", epochs=20, out=tmp_path / "perceptron")
    page = read_page(write_report(study.run_dir))
    assert page.figures["accuracy"] == study.metrics["accuracy"] and page.figures["converged"] == study.metrics["converged"]
    assert "perceptron.png" in [i["src"] for i in page.images] and "1.1 Perceptron" in page.text


def test_a_run_of_no_known_task_still_gets_a_page(digits_classifier_run, read_page):
    info = describe_run(digits_classifier_run)  # model.json + an empty metrics.json, outside runs/
    assert (info.task, info.status, info.headline, info.section) == ("unknown", "complete", [], None)
    page = read_page(write_report(digits_classifier_run))
    assert "No notes section" in page.text and "model.json" in [*page.links]
