"""``dlbox visualize channels|invert``: hidden-layer visualization (notes 3.9.1)."""

from __future__ import annotations

from typing import Optional

import typer

from dlbox.cli import input_opt as o
from dlbox.cli.common import echo_run_dir, given, user_errors

app = typer.Typer(help="Hidden-layer visualization: image ascent on channels, feature inversion.", no_args_is_help=True)


@app.command()
@user_errors
@o.input_command()
def channels(
    common: dict,
    model: str = o.MODEL,
    layer: str = typer.Option(..., help="layer name (`dlbox layers MODEL` lists them)"),
    channels: Optional[str] = typer.Option(None, help="channel indices: 0-15, 0,3,7 or all (default: the first 16)"),
    target: Optional[str] = typer.Option(None, help="channel (mean of a feature map) | neuron (its centre unit) | layer (whole layer)"),
    size: Optional[int] = typer.Option(None, min=1, help="side of the synthesised images (default: the model's input size)"),
    val_data: Optional[str] = typer.Option(None, help="compare with: digits | shapes | folder:PATH | none (default: a run's own validation split)"),
) -> None:
    """Image ascent: synthesise the image that maximises each channel; compare with the best validation image."""
    import json

    from dlbox.config import resolve
    from dlbox.tasks.visualize.channels import run_channels
    from dlbox.tasks.visualize.config import ChannelsConfig

    direct = {**o.input_sections(common), **given(model=model, layer=layer, channels=channels, target=target, size=size, val_data=val_data)}
    run_dir = run_channels(resolve(ChannelsConfig(), common["config"], common["set_"], **direct))
    m = json.loads((run_dir / "metrics.json").read_text())
    for row in m["units"]:
        vs = f"  (best validation image {row['val_max']:.4g})" if "val_max" in row else ""
        typer.echo(f"{m['target']} {row['unit']:>4}: activation {row['start']:.4g} -> {row['reached']:.4g}{vs}")
    if m["fraction_beating_val"] is not None:
        n = len(m["units"])
        typer.echo(f"{round(m['fraction_beating_val'] * n)}/{n} synthesised images beat every one of the {m['val_images']} validation images")
    echo_run_dir(run_dir)


@app.command()
@user_errors
@o.input_command()
def invert(
    common: dict,
    image: str = typer.Argument(..., help="an image file or sample:NAME (e.g. sample:astronaut)"),
    model: str = o.MODEL,
    layers: list[str] = typer.Option(..., help="layers to invert (repeat, or comma-separated)"),
    size: Optional[int] = typer.Option(None, min=1, help="longer side (default: the model's input size; 128 for torchvision)"),
) -> None:
    """Feature inversion: reconstruct IMAGE from its representation at each layer."""
    import json

    from dlbox.config import resolve
    from dlbox.tasks.visualize.config import InvertConfig
    from dlbox.tasks.visualize.invert import run_invert

    direct = {**o.input_sections(common), **given(image=image, model=model, layers=o.split_list(layers), size=size)}
    run_dir = run_invert(resolve(InvertConfig(), common["config"], common["set_"], **direct))
    m = json.loads((run_dir / "metrics.json").read_text())
    for row in m["layers"]:
        typer.echo(f"{row['layer']}: relative feature error {row['start_error']:.4g} -> {row['feature_error']:.4g}, pixel RMSE {row['pixel_rmse']:.4g}")
    echo_run_dir(run_dir)
