"""``dlbox layers MODEL``: the layer names that --layer / --layers accept, with output shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli.common import echo_run_dir, user_errors

app = typer.Typer(help="List a model's layer names.", no_args_is_help=True)


@app.command()
@user_errors
def layers(
    model: str = typer.Argument(..., help="a run directory, a dlbox model (cnn, resnet...) or torchvision:NAME (vgg19, resnet50...)"),
    weights: Optional[str] = typer.Option(None, help="torchvision models: a weights FILE (default: random; names and shapes do not depend on weights)"),
    size: Optional[int] = typer.Option(None, min=1, help="input side for the output shapes (default: the model's input size, 224 for torchvision)"),
    leaves: bool = typer.Option(False, "--leaves", help="only modules without children"),
    out: Optional[Path] = typer.Option(None, help="also write layers.json into this (new) run directory"),
) -> None:
    """Every hookable layer: name, alias, type, output shape, parameters."""
    from rich.console import Console
    from rich.table import Table

    from dlbox.features.extractor import list_layers
    from dlbox.features.sources import load_network

    network = load_network(model, weights if weights else ("random" if not Path(model).is_dir() else None))
    hw = (size, size) if size else network.default_size
    rows = list_layers(network.model, network.in_channels, hw, network.aliases)
    if leaves:
        rows = [r for r in rows if r["leaf"] or r["alias"]]
    table = Table(title=f"{network.spec}: {len(rows)} layers (input {network.in_channels}x{hw[0]}x{hw[1]})")
    for col in ("name", "alias", "type", "output", "params"):
        table.add_column(col, justify="right" if col == "params" else "left")
    for r in rows:
        table.add_row(r["name"], r["alias"], r["type"], "x".join(map(str, r["shape"])) or "-", f"{r['params']:,}")
    Console(width=max(120, Console().width)).print(table)
    if out is not None:
        from dlbox.optimize_input.run import finish_run
        from dlbox.engine.rundir import new_run_dir, write_json

        run_dir = new_run_dir("layers", None, out)
        write_json(run_dir / "layers.json", rows)
        finish_run(run_dir, {"model": network.describe(), "input": [network.in_channels, *hw], "layers": len(rows)})
        echo_run_dir(run_dir)
