"""``run_tour`` on a tiny table of cheap steps (perceptron studies: NumPy, well under a second each):
complete steps are kept on a rerun, unfinished runs are redone, a failing step is recorded and the tour goes
on, a step needing a failed step's run fails naming it; tour.json and index.html say so."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from dlbox.tour import runner
from dlbox.tour.commands import COMMANDS
from dlbox.tour.steps import Ref, Run, Step


def _steps(bad_gate: str = "bogus") -> tuple[Step, ...]:
    return (
        Step("nand", "NAND", {"1": "learn", "1.1": "learn"}, (
            Run("learn", "fundamentals perceptron", {"gate": "nand"}, quick={"epochs": 20}),
            Run("again", "fundamentals perceptron", {"gate": "or", "epochs": 20}, modes=("full",)),
        )),
        Step("broken", "A step whose run raises", {"1.2": None}, (
            Run("bad", "fundamentals perceptron", {"gate": bad_gate, "epochs": 5}),
            Run("after", "fundamentals perceptron", {"gate": "and", "epochs": 5}),
        )),
        Step("dependent", "Needs the broken step", {"2.1": None}, (
            Run("uses", "fundamentals perceptron", {"gate": "nand", "epochs": 5, "_needs": Ref("broken", "bad")}),
        )),
        Step("xor", "XOR never converges", {"2.2": None}, (
            Run("learn", "fundamentals perceptron", {"gate": "xor", "epochs": 5}),
        )),
    )


@pytest.fixture
def calls(monkeypatch):
    """Every command the tour executes, as (run directory name, options); ``_needs`` options are dropped
    (they only declare a prerequisite, which the perceptron study does not take)."""
    seen: list[tuple[str, dict]] = []
    real = runner.execute

    def execute(command, options, out):
        seen.append((f"{out.parent.name}/{out.name}", options))
        real(command, {k: v for k, v in options.items() if k != "_needs"}, out)

    monkeypatch.setattr(runner, "execute", execute)
    return seen


def _tour(tmp_path: Path, steps=None, quick: bool = True) -> dict:
    lines: list[str] = []
    index = runner.run_tour(tmp_path / "tour", quick=quick, steps=steps or _steps(), commands=COMMANDS, echo=lines.append)
    assert index == tmp_path / "tour" / "index.html" and lines[-1] == f"index: {index}"
    state = json.loads((tmp_path / "tour" / "tour.json").read_text())
    state["lines"] = lines
    return state


def _step(state: dict, slug: str) -> dict:
    return next(s for s in state["steps"] if s["slug"] == slug)


def test_a_failing_step_is_recorded_and_the_tour_goes_on(tmp_path, calls):
    state = _tour(tmp_path)
    assert [s["status"] for s in state["steps"]] == ["complete", "failed", "failed", "complete"]
    broken = _step(state, "broken")
    assert "gate" in broken["error"] and "bogus" in broken["error"] and broken["error_type"] == "ValueError"
    assert [r["status"] for r in broken["runs"]] == ["failed", "complete"]  # a run that does not need the failed one runs
    assert "bogus" in broken["runs"][0]["error"] and broken["runs"][1]["error"] is None
    dependent = _step(state, "dependent")
    assert "needs run 02-broken/bad" in dependent["error"] and "failed" in dependent["error"]
    assert not (tmp_path / "tour" / "03-dependent" / "uses").exists()  # it never ran
    assert (tmp_path / "tour" / "04-xor" / "learn" / "metrics.json").is_file()
    assert [c[0] for c in calls] == ["01-nand/learn", "02-broken/bad", "02-broken/after", "04-xor/learn"]
    assert any("02-broken" in line and "failed" in line and "bogus" in line for line in state["lines"])
    assert "2 of 4 steps complete" in state["lines"][-2] and state["finished"] and state["mode"] == "quick"


def test_a_run_needing_a_failed_run_of_its_own_step_names_it(tmp_path, calls):
    steps = (Step("s", "S", {"1.1": None}, (
        Run("bad", "fundamentals perceptron", {"gate": "nope"}),
        Run("uses", "fundamentals perceptron", {"gate": "and", "_needs": Ref("s", "bad")}),
        Run("free", "fundamentals perceptron", {"gate": "or"}),
    )),)
    state = _tour(tmp_path, steps=steps)
    runs = state["steps"][0]["runs"]
    assert [r["status"] for r in runs] == ["failed", "failed", "complete"]
    assert "needs run 01-s/bad (`dlbox fundamentals perceptron`), which did not complete" in runs[1]["error"]
    assert state["steps"][0]["error"].startswith("bad (fundamentals perceptron)")
    assert [c[0] for c in calls] == ["01-s/bad", "01-s/free"]


def test_quick_and_full_options_and_runs(tmp_path, calls):
    _tour(tmp_path, quick=False)
    assert calls[0] == ("01-nand/learn", {"gate": "nand"}) and calls[1][0] == "01-nand/again"
    other = tmp_path / "other"
    runner.run_tour(other, quick=True, steps=_steps(), commands=COMMANDS, echo=lambda _: None)
    assert ("01-nand/learn", {"gate": "nand", "epochs": 20}) in calls and not (other / "01-nand" / "again").exists()


def test_a_rerun_keeps_complete_steps_and_redoes_what_is_unfinished(tmp_path, calls):
    _tour(tmp_path)
    tour = tmp_path / "tour"
    kept = (tour / "01-nand" / "learn" / "metrics.json").stat().st_mtime_ns
    # a kill in the middle of 04-xor/learn: the run directory exists without metrics.json
    (tour / "04-xor" / "learn" / "metrics.json").unlink()
    (tour / "04-xor" / "learn" / "partial.tmp").write_text("left by a kill")
    calls.clear()

    state = _tour(tmp_path, steps=_steps(bad_gate="and"))  # the broken step is fixed meanwhile
    assert [c[0] for c in calls] == ["02-broken/bad", "03-dependent/uses", "04-xor/learn"]
    assert (tour / "01-nand" / "learn" / "metrics.json").stat().st_mtime_ns == kept
    assert _step(state, "nand")["skipped"] and _step(state, "nand")["runs"][0]["reused"]
    assert "kept from an earlier tour" in state["lines"][0]
    assert all(s["status"] == "complete" for s in state["steps"])
    assert not (tour / "04-xor" / "learn" / "partial.tmp").exists() and (tour / "04-xor" / "learn" / "metrics.json").is_file()

    calls.clear()
    state = _tour(tmp_path, steps=_steps(bad_gate="and"))
    assert calls == [] and all(s["skipped"] for s in state["steps"])


def test_a_failed_run_is_redone_on_a_rerun(tmp_path, calls):
    _tour(tmp_path)
    bad = tmp_path / "tour" / "02-broken" / "bad"
    assert not bad.exists()  # the study checks its gate before making a directory; a later failure leaves this:
    bad.mkdir()
    (bad / "run.json").write_text("{}")
    (bad / "failed.json").write_text(json.dumps({"error": "earlier", "type": "ValueError"}))
    calls.clear()
    state = _tour(tmp_path, steps=_steps(bad_gate="and"))
    assert [c[0] for c in calls] == ["02-broken/bad", "03-dependent/uses"]
    assert _step(state, "broken")["status"] == "complete" and not (bad / "failed.json").exists()


def test_a_folder_that_is_not_a_tour_s_is_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("not the tour's")
    with pytest.raises(ValueError, match="no tour.json"):
        runner.run_tour(tmp_path / "mine", quick=True, steps=_steps(), commands=COMMANDS, echo=lambda _: None)
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]


def test_a_tour_killed_in_its_first_step_resumes(tmp_path, calls, monkeypatch):
    real = runner.execute

    def killed(command, options, out):
        out.mkdir(parents=True)
        (out / "run.json").write_text("{}")  # started, then the process died
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "execute", killed)
    with pytest.raises(KeyboardInterrupt):
        _tour(tmp_path)
    monkeypatch.setattr(runner, "execute", real)
    state = _tour(tmp_path, steps=_steps(bad_gate="and"))
    assert all(s["status"] == "complete" for s in state["steps"])


def test_a_tour_of_the_other_mode_is_not_resumed(tmp_path, calls):
    _tour(tmp_path, quick=True)
    with pytest.raises(ValueError, match="--quick"):
        runner.run_tour(tmp_path / "tour", quick=False, steps=_steps(), commands=COMMANDS, echo=lambda _: None)


def test_a_table_with_a_ref_to_a_later_run_is_refused(tmp_path):
    steps = (Step("a", "A", {"1.1": None}, (Run("r", "fundamentals perceptron", {"x": Ref("b", "r")}),)),
             Step("b", "B", {"1.2": None}, (Run("r", "fundamentals perceptron", {}),)))
    with pytest.raises(ValueError, match="needs b/r"):
        runner.run_tour(tmp_path / "t", steps=steps, commands=COMMANDS, echo=lambda _: None)
    assert not (tmp_path / "t").exists()


def _links(html: str) -> list[str]:
    return [unquote(m) for m in re.findall(r'(?:href|src)="([^"#]+)"', html)]


def test_index_shows_each_section_s_step_and_every_link_resolves(tmp_path, calls):
    _tour(tmp_path)
    tour = tmp_path / "tour"
    html = (tour / "index.html").read_text()
    links = _links(html)
    assert links and all(not re.match(r"[a-z]+:", link) for link in links), "relative links only"
    assert all((tour / link).is_file() for link in links), [link for link in links if not (tour / link).is_file()]
    assert "01-nand/learn/report.html" in links and "04-xor/learn/report.html" in links
    assert any(link.startswith("01-nand/learn/") and link.endswith(".png") for link in links)  # its picture
    for number, title in (("1.1", "Perceptron"), ("3.12.3", "Non-maximum suppression"), ("4.4", "Diffusion models")):
        assert f'id="s{number}"' in html and title in html  # the whole table of contents, commands or not
    assert "accuracy" in html and "100.00%" in html  # the NAND run's headline figure
    assert "bogus" in html and "needs run 02-broken/bad" in html  # failures shown with their errors
    for fragment in re.findall(r'href="#([^"]+)"', html):
        assert f'id="{fragment}"' in html


def test_index_of_a_killed_tour_says_what_did_not_run(tmp_path, monkeypatch):
    """After each step the index is rewritten: a tour killed after step 1 leaves an index naming the rest."""
    real = runner._run_step
    done = []

    def stop_after_first(*args, **kwargs):
        if done:
            raise KeyboardInterrupt
        done.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "_run_step", stop_after_first)
    with pytest.raises(KeyboardInterrupt):
        runner.run_tour(tmp_path / "tour", quick=True, steps=_steps(), commands=COMMANDS, echo=lambda _: None)
    state = json.loads((tmp_path / "tour" / "tour.json").read_text())
    assert not state["finished"] and state["pending"] == ["02-broken", "03-dependent", "04-xor"]
    html = (tmp_path / "tour" / "index.html").read_text()
    assert "unfinished" in html and "02-broken" in html
