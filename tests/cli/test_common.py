"""``given``: unset options (None) vanish at any depth; every other value, falsy or not, stays."""

from dlbox.cli.common import given
from dlbox.cli.input_opt import split_list


def test_given_drops_none_at_any_depth_and_keeps_falsy_values():
    out = given(name=None, n=0, progress=False, layers=[], dream={"octaves": 3, "channel": None, "optimize": {"lr": None, "steps": 0}})
    assert out == {"n": 0, "progress": False, "layers": [], "dream": {"octaves": 3, "optimize": {"steps": 0}}}
    assert given() == {} and given(a={"b": None}) == {}  # a section left empty is left out


def test_split_list():
    assert split_list(["a,b", " c ", ""]) == ["a", "b", "c"] and split_list(None) is None and split_list([]) is None
