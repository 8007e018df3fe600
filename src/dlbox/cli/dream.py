"""``dlbox dream IMAGE``: DeepDream and content enhancing (notes 3.9.2)."""

from __future__ import annotations

from typing import Optional

import typer

from dlbox.cli import input_opt as o
from dlbox.cli.common import echo_run_dir, given, user_errors

app = typer.Typer(help="DeepDream: amplify what a network sees in an image.", no_args_is_help=True)


@app.command()
@user_errors
@o.input_command(hide=("param", "scale", "rotate"))
def dream(
    common: dict,
    image: str = typer.Argument(..., help="an image file or sample:NAME (e.g. sample:coffee)"),
    model: str = o.MODEL,
    layers: Optional[list[str]] = typer.Option(None, help="layers to amplify (repeat, or comma-separated; default: the last feature block)"),
    target: Optional[str] = typer.Option(None, help="layer (content enhancing) | channel | neuron | class (deep dream)"),
    channel: Optional[int] = typer.Option(None, min=0, help="target channel (--target channel|neuron)"),
    class_: Optional[str] = typer.Option(None, "--class", help="target class: index or name (--target class)"),
    guide: Optional[str] = typer.Option(None, help="guide image whose features are amplified (target layer)"),
    octaves: Optional[int] = typer.Option(None, min=1, help="pyramid levels"),
    octave_scale: Optional[float] = typer.Option(None, min=1.0, help="size ratio between octaves (> 1)"),
    size: Optional[int] = typer.Option(None, min=1, help="work at this longer side (default: the image's size, at most 1024)"),
) -> None:
    """Gradient ascent on IMAGE over an octave pyramid with detail reinjection.

    The dream has the size it was worked at: the image's own, or --size; without --size an image
    larger than 1024 pixels on its longer side is scaled down to 1024 (said in the output and metrics.json).
    """
    import json

    from dlbox.config import resolve
    from dlbox.tasks.dream.config import DreamRunConfig
    from dlbox.tasks.dream.run import run_dream

    direct = o.input_sections(common, optimize_at="dream.optimize")
    direct["dream"] = {**direct.get("dream", {}), **given(layers=o.split_list(layers), target=target, channel=channel, class_=class_,
                                                           octaves=octaves, octave_scale=octave_scale)}
    direct.update(given(image=image, model=model, guide=guide, size=size))
    run_dir = run_dream(resolve(DreamRunConfig(), common["config"], common["set_"], **direct))
    m = json.loads((run_dir / "metrics.json").read_text())
    octs = " -> ".join("x".join(map(str, s)) for s in reversed(m["octave_sizes"]))
    typer.echo(f"objective {m['objective_before']:.4g} -> {m['objective_after']:.4g}; octaves {octs}; output {'x'.join(map(str, m['output_size']))}")
    if m["size_bounded"]:
        typer.echo(f"the image is {'x'.join(map(str, m['source_size']))}: dreamt at longer side {m['max_side']} (the default bound; --size to choose)")
    echo_run_dir(run_dir)
