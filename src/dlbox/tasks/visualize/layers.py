"""``dlbox layers``: the layer names ``--layer`` / ``--layers`` accept, with output shapes; optionally a run directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class LayerListing:
    spec: str  # the network as given
    description: str
    in_channels: int
    size: tuple[int, int]  # (H, W) of the input the shapes are for
    rows: list[dict[str, Any]]  # name, alias, type, shape, params, leaf
    run_dir: Path | None = None  # where layers.json was written, if asked


def model_layers(model: str, weights: str | None = None, size: int | None = None, leaves: bool = False,
                 out: str | Path | None = None) -> LayerListing:
    """Every hookable layer of ``model`` (only leaves and aliased layers with ``leaves``).

    Torchvision and registered models use random weights unless ``weights`` is given: names and
    shapes do not depend on them. ``out``: also write ``layers.json`` and ``metrics.json`` there.
    """
    from dlbox.features.extractor import list_layers
    from dlbox.features.sources import load_network
    from dlbox.tasks.input_run import check_out

    if size is not None and size < 1:
        raise ValueError(f"size must be a positive number of pixels, got {size}")
    check_out(out)
    network = load_network(model, weights if weights else ("random" if not Path(model).is_dir() else None))
    hw = (size, size) if size else network.default_size
    rows = list_layers(network.model, network.in_channels, hw, network.aliases)
    if leaves:
        rows = [r for r in rows if r["leaf"] or r["alias"]]
    listing = LayerListing(str(network.spec), network.describe(), network.in_channels, hw, rows)
    if out is not None:
        listing.run_dir = write_layers(listing, out)
    return listing


def write_layers(listing: LayerListing, out: str | Path) -> Path:
    """A run directory with ``layers.json`` (the rows) and ``metrics.json`` (model, input, count)."""
    from dlbox.engine.run_record import recorded_run
    from dlbox.engine.rundir import write_json
    from dlbox.tasks.input_run import finish_run

    with recorded_run("layers", None, out) as run_dir:
        write_json(run_dir / "layers.json", listing.rows)
        return finish_run(run_dir, {"model": listing.description, "input": [listing.in_channels, *listing.size], "layers": len(listing.rows)})
