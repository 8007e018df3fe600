"""``dlbox style transfer|train|apply``: style transfer (notes 3.9.3)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dlbox.cli import input_opt as o
from dlbox.cli.common import echo_run_dir, given, user_errors
from dlbox.cli.training import run_training, training_command
from dlbox.tasks.style.config import StyleTrainConfig

app = typer.Typer(help="Style transfer: Gatys optimisation; Johnson perceptual-loss networks (train, apply).", no_args_is_help=True)

STYLE_LAYERS = typer.Option(None, help="style layers (repeat, or comma-separated; default: the paper's VGG layers)")
STYLE_WEIGHTS = typer.Option(None, help="gamma_l, one per style layer (comma-separated; default equal)")
CONTENT_LAYER = typer.Option(None, help="content layer (default: relu4_2 for transfer, relu2_2 for train, on VGG)")


@app.command()
@user_errors
@o.input_command(hide=("param", "jitter", "scale", "rotate", "l2", "blur_every", "blur_sigma"))
def transfer(
    common: dict,
    content: str = typer.Argument(..., help="content image: a file or sample:NAME"),
    style: str = typer.Argument(..., help="style image: a file or sample:NAME"),
    model: Optional[str] = typer.Option(None, help="loss network: torchvision:NAME (default vgg19), a run directory or a dlbox model"),
    size: Optional[int] = typer.Option(None, min=8, help="longer side of the content image and result (default 256)"),
    style_size: Optional[int] = typer.Option(None, min=8, help="longer side of the style image (default: --size)"),
    content_layer: Optional[str] = CONTENT_LAYER,
    style_layers: Optional[list[str]] = STYLE_LAYERS,
    style_weights: Optional[list[str]] = STYLE_WEIGHTS,
    alpha: Optional[float] = typer.Option(None, min=0.0, help="content weight"),
    beta: Optional[float] = typer.Option(None, min=0.0, help="style weight"),
    init: Optional[str] = typer.Option(None, help="content | random"),
) -> None:
    """Gatys et al.: optimise an image for alpha L_content + beta L_style; writes it and the losses before and after."""
    import json

    from dlbox.config import resolve
    from dlbox.tasks.style.transfer import TransferConfig, run_transfer

    direct = o.input_sections(common, optimize_at="gatys.optimize")
    direct["gatys"] = {**direct.get("gatys", {}), **given(content_layer=content_layer, style_layers=o.split_list(style_layers),
                                                           style_weights=o.float_list(style_weights, "--style-weights"),
                                                           alpha=alpha, beta=beta, init=init)}
    direct.update(given(content=content, style=style, model=model, size=size, style_size=style_size))
    run_dir = run_transfer(resolve(TransferConfig(), common["config"], common["set_"], **direct))
    m = json.loads((run_dir / "metrics.json").read_text())
    b, a = m["before"], m["after"]
    typer.echo(f"style loss {b['style']:.4g} -> {a['style']:.4g} (/{m['style_reduction'] or float('inf'):.3g}); "
               f"content loss {b['content']:.4g} -> {a['content']:.4g} (noise image: {m['noise_reference']['content']:.4g}); "
               f"{m['steps']} steps in {m['seconds']:.1f} s")
    echo_run_dir(run_dir)


@app.command()
@user_errors
@training_command(StyleTrainConfig(), hide=("model", "image_size", "init", "backbone_lr_mult", "augment"))
def train(
    common: dict,
    style: Optional[str] = typer.Option(None, help="style image: a file or sample:NAME (default: sample:chelsea)"),
    size: Optional[int] = typer.Option(None, min=16, help="side of the square content crops (default 128); --data gives the content images: samples (default) | folder:PATH | digits | shapes"),
    style_size: Optional[int] = typer.Option(None, min=8, help="longer side of the style image (default: --size)"),
    loss_model: Optional[str] = typer.Option(None, help="loss network: run dir, dlbox model or torchvision:NAME (default vgg16)"),
    weights: Optional[str] = o.WEIGHTS,
    content_layer: Optional[str] = CONTENT_LAYER,
    style_layers: Optional[list[str]] = STYLE_LAYERS,
    style_weights: Optional[list[str]] = STYLE_WEIGHTS,
    alpha: Optional[float] = typer.Option(None, min=0.0, help="content weight (relative to the untrained network's content loss)"),
    beta: Optional[float] = typer.Option(None, min=0.0, help="style weight (relative to the untrained network's style loss)"),
    tv: Optional[float] = typer.Option(None, min=0.0, help="weight of the total-variation regulariser"),
    channels: Optional[str] = typer.Option(None, help="transformation network widths, e.g. 32,64,128"),
    res_blocks: Optional[int] = typer.Option(None, min=0, help="residual blocks (default 5)"),
) -> None:
    """Johnson et al.: train an image transformation network for one style over a set of content images."""
    import json

    from dlbox.tasks.style.train import train as train_style

    kwargs = dict(res_blocks=res_blocks)
    if channels is not None:
        try:
            kwargs["channels"] = [int(c) for c in channels.split(",")]
        except ValueError:
            raise typer.BadParameter(f"{channels!r} must be integers like 32,64,128", param_hint="--channels") from None
    model_kwargs = {k: v for k, v in kwargs.items() if v is not None}
    run_dir = run_training(
        train_style, StyleTrainConfig(), common,
        data={"image_size": size},
        model={"kwargs": {**StyleTrainConfig().model.kwargs, **model_kwargs}} if model_kwargs else {},
        style=dict(image=style, style_size=style_size, loss_model=loss_model, weights=weights, content_layer=content_layer,
                   style_layers=o.split_list(style_layers), style_weights=o.float_list(style_weights, "--style-weights"),
                   alpha=alpha, beta=beta, tv=tv),
    )
    m = json.loads((run_dir / "metrics.json").read_text())
    typer.echo(f"{m['steps']} steps in {m['train_time_s']:.1f} s; validation style loss {m['first_epoch_val_style']:.4g} (epoch 1) -> "
               f"{m['val_style']:.4g}; a 256x256 image stylises in {m['seconds_per_256_image'] * 1000:.0f} ms")
    echo_run_dir(run_dir)


@app.command("apply")
@user_errors
def apply_(
    images: list[str] = typer.Argument(..., help="image files or sample:NAME"),
    run: Path = typer.Option(..., help="a finished `dlbox style train` run directory"),
    size: Optional[int] = typer.Option(None, min=8, help="resize so the longer side is this (default: keep each image's size)"),
    accelerator: Optional[str] = o.ACCELERATOR,
    name: Optional[str] = o.NAME, out: Optional[Path] = o.OUT,
) -> None:
    """Stylise images with a trained network: one forward pass each."""
    import json

    from dlbox.config import resolve
    from dlbox.tasks.style.apply import ApplyConfig, run_apply

    direct = given(images=list(images), run=str(run), size=size, accelerator=accelerator, name=name, out=str(out) if out else None)
    out_dir = run_apply(resolve(ApplyConfig(), None, None, **direct))
    for row in json.loads((out_dir / "metrics.json").read_text())["outputs"]:
        typer.echo(f"{row['image']} -> {row['output']} ({'x'.join(map(str, row['size']))}, {row['seconds'] * 1000:.0f} ms)")
    echo_run_dir(out_dir)
