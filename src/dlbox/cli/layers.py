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

    from dlbox.tasks.visualize.layers import model_layers

    listing = model_layers(model, weights, size, leaves, out)
    h, w = listing.size
    table = Table(title=f"{listing.spec}: {len(listing.rows)} layers (input {listing.in_channels}x{h}x{w})")
    for col in ("name", "alias", "type", "output", "params"):
        table.add_column(col, justify="right" if col == "params" else "left")
    for r in listing.rows:
        table.add_row(r["name"], r["alias"], r["type"], "x".join(map(str, r["shape"])) or "-", f"{r['params']:,}")
    Console(width=max(120, Console().width)).print(table)
    if listing.run_dir is not None:
        echo_run_dir(listing.run_dir)
