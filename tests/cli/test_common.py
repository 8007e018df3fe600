"""``given``: unset options (None) vanish at any depth; every other value, falsy or not, stays. ``user_errors``."""

import pytest

from dlbox.cli.common import given
from dlbox.cli.input_opt import split_list


def test_given_drops_none_at_any_depth_and_keeps_falsy_values():
    out = given(name=None, n=0, progress=False, layers=[], dream={"octaves": 3, "channel": None, "optimize": {"lr": None, "steps": 0}})
    assert out == {"n": 0, "progress": False, "layers": [], "dream": {"octaves": 3, "optimize": {"steps": 0}}}
    assert given() == {} and given(a={"b": None}) == {}  # a section left empty is left out


def test_split_list():
    assert split_list(["a,b", " c ", ""]) == ["a", "b", "c"] and split_list(None) is None and split_list([]) is None


def test_user_errors_print_the_notes_of_an_error(capsys):
    """A note added to an error (e.g. where a failed run's report is) is printed under the one-line message."""
    import typer

    from dlbox.cli.common import user_errors

    @user_errors
    def failing() -> None:
        exc = ValueError("bad value for --eps: -1")
        exc.add_note("report: runs/attack/run-001/report.html")
        raise exc

    with pytest.raises(typer.Exit):
        failing()
    err = capsys.readouterr().err
    assert "error: bad value for --eps: -1" in err and "runs/attack/run-001/report.html" in err
