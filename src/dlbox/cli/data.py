"""``dlbox data export``: generated shapes scenes written as detection dataset files.

Registered in ``cli/main.py`` as ``app.add_typer(data.app, name="data")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli.common import given, user_errors
from dlbox.tasks.detect.config import DetectConfig

DEFAULTS = DetectConfig()  # the scenes `dlbox detect train --data shapes` makes by default
app = typer.Typer(help="Datasets: export generated scenes as YOLO, COCO or VOC files.", no_args_is_help=True)


@app.command()
@user_errors
def export(
    format: str = typer.Option(..., "--format", help="yolo | coco | voc"),
    out: Path = typer.Option(..., help="a new (or empty) directory"),
    num_samples: int = typer.Option(DEFAULTS.data.num_samples, min=1, help="scenes in all splits together"),
    image_size: int = typer.Option(DEFAULTS.data.image_size, min=16, help="square image side"),
    min_objects: int = typer.Option(DEFAULTS.detect.min_objects, min=1, help="objects per scene, at least"),
    max_objects: int = typer.Option(DEFAULTS.detect.max_objects, min=1, help="objects per scene, at most"),
    shapes: Optional[str] = typer.Option(None, help="comma-separated kinds (default: circle,square,triangle)"),
    val_fraction: float = typer.Option(DEFAULTS.data.val_fraction, min=0.0, max=1.0, help="share of the scenes in the val split"),
    test_fraction: float = typer.Option(DEFAULTS.data.test_fraction, min=0.0, max=1.0, help="share of the scenes in the test split"),
    seed: int = typer.Option(0, help="scene and split seed (data.split_seed of dlbox detect train)"),
) -> None:
    """Write shapes scenes, split as `dlbox detect train --data shapes` splits them; prints the --data to train on."""
    from dataclasses import replace

    from dlbox.tasks.detect.export import export_shapes

    kinds = [k.strip() for k in shapes.split(",") if k.strip()] if shapes else None
    data = replace(DEFAULTS.data, num_samples=num_samples, image_size=image_size, val_fraction=val_fraction,
                   test_fraction=test_fraction, split_seed=seed, **given(shapes=kinds))
    result = export_shapes(format, out, data, min_objects, max_objects)
    sizes = ", ".join(f"{s} {n} images / {result['objects'][s]} objects" for s, n in result["sizes"].items())
    typer.echo(f"wrote {format} dataset {out}: {sizes}")
    typer.echo(f"train on it with: dlbox detect train --data {result['data']}")
