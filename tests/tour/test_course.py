"""The tour's table covers the course: every run-writing command in the quick tour, every section of the notes that
has a command, and every run's options accepted by its command (checked without running anything)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from dlbox.tour.commands import COMMANDS, deep_merge, dotted, load
from dlbox.tour.course import STEPS
from dlbox.tour.inputs import Images
from dlbox.tour.sections import SECTIONS
from dlbox.tour.steps import MODES, Ref, check_table, resolve

# CLI commands that write no run directory of their own (or are the tour, or read runs).
NOT_RUNS = {"tour", "data export", "report", "runs"}
# Sections of the notes whose technique has a dlbox command (the rest are theory: 3.2's gradients, 3.4's idea...).
WITH_COMMANDS = {"1.1", "1.2", "2.1", "2.2", "3.1", "3.1.1", "3.4.1", "3.5", "3.6", "3.9.1", "3.9.2", "3.9.3", "3.10.1", "3.10.2",
                 "3.10.3", "3.11", "3.11.1", "3.11.2", "3.12", "3.12.1", "3.12.3", "4.1", "4.2", "4.3", "4.4"}


def _cli_commands() -> set[str]:
    from dlbox.cli.main import app

    found: set[str] = set()

    def walk(group, prefix: tuple[str, ...]) -> None:
        for c in group.registered_commands:
            found.add(" ".join((*prefix, c.name or c.callback.__name__)))
        for g in group.registered_groups:
            walk(g.typer_instance, (*prefix, g.name))

    walk(app, ())
    return found - NOT_RUNS


def test_the_table_is_consistent():
    check_table(STEPS, COMMANDS)  # unique names, known commands, every Ref to an earlier run of the same modes


def test_every_run_writing_command_of_the_cli_is_in_the_quick_tour():
    quick = {run.command for step in STEPS for run in step.runs_for("quick")}
    assert set(COMMANDS) == _cli_commands()
    assert quick == set(COMMANDS), f"not in the quick tour: {sorted(set(COMMANDS) - quick)}"


def test_every_section_with_a_command_has_a_step_and_only_real_sections_are_named():
    numbers = [n for n, _ in SECTIONS]
    covered = [n for step in STEPS for n in step.sections]
    assert set(covered) <= set(numbers), sorted(set(covered) - set(numbers))
    assert WITH_COMMANDS <= set(covered), sorted(WITH_COMMANDS - set(covered))
    assert len(covered) == len(set(covered)), "a section is shown by two steps"
    order = [numbers.index(next(iter(step.sections))) for step in STEPS]
    assert order == sorted(order), "steps follow the notes' order"


def test_the_notes_contents_match_the_course_file():
    notes = Path("/work/shared/course/deep-learning-notes.txt")
    if not notes.is_file():
        pytest.skip("the course notes are not on this machine")
    text = notes.read_text()
    contents = text[text.index("Contents"): text.index("1 Neural networks expressivity\n\n")]
    for number, title in SECTIONS:
        assert f"{number} {title}" in contents, (number, title)


def _fake_paths(tmp_path: Path):
    return lambda ref: tmp_path / ref.step / ref.run


@pytest.mark.parametrize("mode", MODES)
def test_every_run_s_options_are_accepted_by_its_command(mode, tmp_path, monkeypatch):
    """Training and config commands build their config from the options (unknown keys fail); call commands bind them."""
    monkeypatch.setattr("dlbox.tour.steps.write_images", lambda spec, root: [root / f"{i}.png" for i in range(spec.n)])
    problems = []
    for step in STEPS:
        for run in step.runs_for(mode):
            command = COMMANDS[run.command]
            options = deep_merge(deep_merge({}, command.preset), resolve(run.options_for(mode), _fake_paths(tmp_path), tmp_path))
            try:
                _check_options(command, options, tmp_path)
            except (TypeError, ValueError) as exc:
                problems.append(f"{step.slug}/{run.name}: {exc}")
    assert not problems, problems


def _check_options(command, options, tmp_path):
    from dlbox.config import merge, resolve as resolve_config

    if command.kind == "train":
        arg = dotted(options, command.defaults_arg) if command.defaults_arg else None
        defaults = load(command.defaults)() if arg is None else load(command.defaults)(arg)
        merge(defaults, {**options, "out": str(tmp_path / "x")})  # an unknown key is a ValueError naming it
    elif command.kind == "config":
        resolve_config(load(command.defaults)(), None, None, **options, out=str(tmp_path / "x"))
    else:
        inspect.signature(load(command.target)).bind(**options, out=tmp_path / "x")  # an unknown keyword: TypeError


def test_a_bad_option_is_caught_by_that_check(tmp_path):
    with pytest.raises(ValueError, match="nosuch"):
        _check_options(COMMANDS["classify train"], {"train": {"nosuch": 1}}, tmp_path)
    with pytest.raises(TypeError):
        _check_options(COMMANDS["classify eval"], {"run": "r", "nosuch": 1}, tmp_path)


def test_images_and_refs_resolve_to_paths(tmp_path, monkeypatch):
    monkeypatch.setattr("dlbox.tour.steps.write_images", lambda spec, root: [root / spec.key / f"{i:03d}.png" for i in range(spec.n)])
    value = {"run": Ref("a", "b"), "images": Images("digits", n=2), "one": Images("shapes", n=1, single=True), "keep": [1, (2, Ref("c", "d"))]}
    out = resolve(value, _fake_paths(tmp_path), tmp_path / "inputs")
    assert out["run"] == str(tmp_path / "a" / "b")
    assert out["images"] == [str(tmp_path / "inputs" / "digits-2" / f"00{i}.png") for i in range(2)]
    assert isinstance(out["one"], str) and out["one"].endswith("000.png")
    assert out["keep"] == [1, (2, str(tmp_path / "c" / "d"))]


def test_images_are_written_once_with_the_right_shapes(tmp_path):
    from PIL import Image

    from dlbox.tour.inputs import write_images

    digits = write_images(Images("digits", n=3), tmp_path)
    assert [Image.open(p).size for p in digits] == [(8, 8)] * 3 and Image.open(digits[0]).mode == "L"
    canvas = write_images(Images("shapes", n=1, size=16, grid=3), tmp_path)
    assert Image.open(canvas[0]).size == (48, 48) and Image.open(canvas[0]).mode == "RGB"
    before = canvas[0].stat().st_mtime_ns
    assert write_images(Images("shapes", n=1, size=16, grid=3), tmp_path) == canvas and canvas[0].stat().st_mtime_ns == before
    with pytest.raises(ValueError, match="digits or shapes"):
        write_images(Images("faces"), tmp_path)
