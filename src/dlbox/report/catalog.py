"""What a report shows for each task: its headline metrics (in order, labelled and formatted) and the notes section.

The catalog is data. A metric key is a path into ``metrics.json``: dots step into dicts and lists
(``ms_per_image.batch_1``, ``max_error.-1`` = the last entry), ``*`` stands for every key of a dict
(``final_loss.*``). A task lists every headline key any of its modes may write; a run shows the ones it has.
Tasks not in the catalog still get a report: every scalar metric becomes a headline figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Formats a figure's value is written in (figures.format_value implements them).
FORMATS = ("pct", "f2", "f3", "f4", "g", "int", "sci", "ms", "s", "x", "bool", "str")


@dataclass(frozen=True)
class Metric:
    """One headline figure: where it is in metrics.json, what it is called, how it is written."""

    key: str
    label: str
    fmt: str = "g"


@dataclass(frozen=True)
class TaskSpec:
    """A task's report: its title, headline metrics (the first present one is *the* headline) and notes section."""

    title: str
    metrics: tuple[Metric, ...]
    section: str | None = None


# Notes sections (numbers and titles of /work/shared/course/deep-learning-notes.txt).
PERCEPTRON = "1.1 Perceptron"
MLP = "1.2 Multi-layer perceptron"
GRADIENT_DESCENT = "2.1 Gradient descent"
BACKPROP = "2.2 Backpropagation"
CONVOLUTIONS = "3.1 Convolutions"
PARAMETERS = "3.1.1 Parameters"
INCEPTION = "3.4 Inception hypothesis"
RESIDUAL = "3.5 Residual learning"
TRANSFER = "3.6 Transfer learning and fine-tuning"
HIDDEN_LAYERS = "3.9.1 Hidden layer visualization"
INCEPTIONISM = "3.9.2 Inceptionism"
STYLE = "3.9.3 Style transfer"
ATTACKS = "3.10.1 Adversarial attacks"
MANIFOLD = "3.10.2 Manifold"
AUTOENCODERS = "3.10.3 Autoencoders"
SEGMENTATION = "3.11 Segmentation"
CONVOLUTIONALIZATION = "3.11.1 Convolutionalization"
UNET = "3.11.2 U-net"
YOLO = "3.12.1 YOLOv3"
GENERATIVE = "4 Generative models"
VAE = "4.1 Variational autoencoder (VAE)"
GAN = "4.2 Generative adversarial network (GAN)"
FLOWS = "4.3 Normalizing flows"
DIFFUSION = "4.4 Diffusion models"

M = Metric
_CLASSIFY = (M("test_acc", "test accuracy", "pct"), M("accuracy", "accuracy", "pct"), M("test_loss", "test loss", "f4"),
             M("loss", "loss", "f4"), M("best_val_acc", "best validation accuracy", "pct"))
_SEGMENT = (M("test_miou", "test mIoU", "f3"), M("miou", "mIoU", "f3"), M("test_pixel_acc", "test pixel accuracy", "pct"),
            M("pixel_acc", "pixel accuracy", "pct"), M("best_val_miou", "best validation mIoU", "f3"))
_DETECT_TIMES = (M("ms_per_image.*", "ms per image", "ms"),)
_DETECT = (M("test_map50_95", "test mAP@[.5:.95]", "f3"), M("test_map50", "test mAP@.5", "f3"),
           M("test_map75", "test mAP@.75", "f3"), M("test_precision", "test precision", "f3"),
           M("test_recall", "test recall", "f3"), *_DETECT_TIMES)
_DETECT_EVAL = (M("map50_95", "mAP@[.5:.95]", "f3"), M("map50", "mAP@.5", "f3"), M("map75", "mAP@.75", "f3"),
                M("precision", "precision", "f3"), M("recall", "recall", "f3"), *_DETECT_TIMES)
_GENERATE = (M("frechet_ratio", "Frechet ratio (distance / floor)", "f2"), M("frechet_distance", "Frechet distance", "g"),
             M("frechet_floor", "Frechet floor (test vs test)", "g"), M("test_bits_per_dim", "test bits/dim", "f3"),
             M("class_entropy", "class entropy (nats)", "f3"), M("confident_fraction", "confidently classified", "pct"),
             M("seconds_per_image", "seconds per image", "s"))
_STYLE = (M("style_reduction", "style loss reduction", "x"), M("val_style", "validation style loss", "g"),
          M("first_epoch_val_style", "style loss after epoch 1", "g"), M("val_content", "validation content loss", "g"),
          M("seconds_per_256_image", "seconds per 256px image", "s"), M("seconds_per_image", "seconds per image", "s"),
          M("seconds", "seconds", "s"))
_FUNDAMENTALS = (
    M("accuracy", "accuracy", "pct"), M("converged", "converged", "bool"), M("epochs_run", "epochs", "int"),
    M("two_layer_accuracy", "two-layer network accuracy", "pct"),
    M("max_abs_diff_vs_finite_differences", "max |backprop - finite differences|", "sci"),
    M("xor_accuracy", "XOR accuracy", "pct"), M("xor_final_loss", "XOR final loss", "f4"),
    M("final_loss.*", "final loss", "f4"),
    M("max_error.-1", "max error, widest network", "f4"), M("constructed_max_error.-1", "max error, constructed", "f4"),
    M("sigmoid_first_over_last", "sigmoid: first/last layer gradient", "sci"),
    M("relu_first_over_last", "ReLU: first/last layer gradient", "sci"),
    M("sigmoid_over_relu_first_layer", "first layer: sigmoid/ReLU gradient", "sci"),
)

CATALOG: dict[str, TaskSpec] = {
    "classify": TaskSpec("Image classification", _CLASSIFY, CONVOLUTIONS),
    "classify-eval": TaskSpec("Classifier evaluation", _CLASSIFY, CONVOLUTIONS),
    "classify-predict": TaskSpec("Classifier predictions", (M("images", "images", "int"),), CONVOLUTIONS),
    "segment": TaskSpec("Semantic segmentation", _SEGMENT, SEGMENTATION),
    "segment-eval": TaskSpec("Segmentation evaluation", _SEGMENT, SEGMENTATION),
    "segment-predict": TaskSpec("Segmentation predictions", (M("images", "images", "int"),), SEGMENTATION),
    "segment-heatmap": TaskSpec("Convolutionalized classifier heatmaps", (M("stride", "output stride", "int"),),
                                CONVOLUTIONALIZATION),
    "detect": TaskSpec("Object detection", _DETECT, YOLO),
    "detect-eval": TaskSpec("Detector evaluation", _DETECT_EVAL, YOLO),
    "detect-predict": TaskSpec("Detector predictions", (M("detections", "detections", "int"), M("images", "images", "int")),
                               YOLO),
    "detect-anchors": TaskSpec("Anchor boxes (k-means)", (M("mean_iou", "mean IoU with the boxes", "f3"),
                                                           M("coco_mean_iou", "mean IoU, COCO anchors", "f3"),
                                                           M("k", "anchors", "int")), YOLO),
    "attack": TaskSpec("Adversarial attack", (
        M("success_rate", "success rate", "pct"), M("gradient_evals_median", "gradient evaluations (median)", "g"),
        M("queries_median", "queries (median)", "g"), M("linf_median", "L-inf perturbation (median)", "f4"),
        M("l2_median", "L2 perturbation (median)", "f4"), M("clean_accuracy", "clean accuracy", "pct"),
        M("adversarial_accuracy", "adversarial accuracy", "pct")), ATTACKS),
    "autoencode": TaskSpec("Autoencoder", (
        M("roc_auc", "anomaly ROC AUC", "f3"), M("detection_rate", "detection rate", "pct"),
        M("false_alarm_rate", "false alarm rate", "pct"), M("psnr_gain", "denoising PSNR gain (dB)", "f2"),
        M("psnr_denoised", "PSNR denoised (dB)", "f2"), M("psnr_noisy", "PSNR noisy (dB)", "f2"),
        M("knn5_accuracy", "5-NN accuracy in the latent space", "pct"), M("test_psnr", "test PSNR (dB)", "f2"),
        M("test_mse", "test MSE", "g")), AUTOENCODERS),
    "generate": TaskSpec("Generative model", _GENERATE, GENERATIVE),
    "generate-eval": TaskSpec("Generative model evaluation", _GENERATE, GENERATIVE),
    "generate-sample": TaskSpec("Generated samples", (M("n", "samples", "int"), M("seconds_per_image", "seconds per image", "s")),
                                GENERATIVE),
    "generate-interpolate": TaskSpec("Latent interpolations", (M("pairs", "pairs", "int"), M("steps", "steps", "int")),
                                     GENERATIVE),
    "dream": TaskSpec("DeepDream", (M("objective_ratio", "objective after / before", "x"),
                                    M("objective_before", "objective before", "g"),
                                    M("objective_after", "objective after", "g"), M("seconds", "seconds", "s")),
                      INCEPTIONISM),
    "visualize-channels": TaskSpec("Channel visualization", (
        M("fraction_beating_val", "channels beating their best validation image", "pct"),
        M("mean_reached", "mean activation reached", "g"), M("mean_start", "mean activation at start", "g"),
        M("seconds", "seconds", "s")), HIDDEN_LAYERS),
    "visualize-invert": TaskSpec("Feature inversion", (M("steps", "steps", "int"),), HIDDEN_LAYERS),
    "layers": TaskSpec("Layers of a network", (M("layers", "layers", "int"),), HIDDEN_LAYERS),
    "style": TaskSpec("Fast style transfer network", _STYLE, STYLE),
    "style-transfer": TaskSpec("Style transfer (Gatys)", _STYLE, STYLE),
    "style-apply": TaskSpec("Style network applied", _STYLE[-2:] + (M("images", "images", "int"),), STYLE),
    "fundamentals": TaskSpec("Fundamentals study", _FUNDAMENTALS, None),
    "summary": TaskSpec("Model summary: parameters and MACs", (
        M("total_params", "parameters", "int"), M("trainable_params", "trainable parameters", "int"),
        M("total_macs", "MACs per sample", "int"), M("total_flops", "FLOPs per sample", "int"),
        M("separable_macs_ratio", "depthwise-separable / standard MACs", "f3")), PARAMETERS),
}

KNOWN_TASKS = frozenset(CATALOG)

_CLASSIFY_MODELS = {"resnet": RESIDUAL, "xception": INCEPTION, "mlp": MLP}
_GENERATE_KINDS = {"vae": VAE, "gan": GAN, "dcgan": GAN, "flow": FLOWS, "realnvp": FLOWS, "diffusion": DIFFUSION,
                   "ddpm": DIFFUSION, "ddim": DIFFUSION}
_STUDIES = {"perceptron": PERCEPTRON, "backprop": BACKPROP, "optimizers": GRADIENT_DESCENT,
            "approximation": MLP, "vanishing": BACKPROP}


def spec(task: str | None) -> TaskSpec | None:
    return CATALOG.get(task or "")


def section_for(task: str | None, config: dict[str, Any], metrics: dict[str, Any], name: str = "") -> str | None:
    """The notes section a run comes from: the task's, refined by the model, mode, kind or study it ran."""
    base = task.split("-")[0] if task else ""
    model = _model_name(config, metrics).lower()
    if base == "classify":
        if _uses_pretrained(config):
            return TRANSFER
        for prefix, section in _CLASSIFY_MODELS.items():
            if model.startswith(prefix):
                return section
    if base == "segment" and task != "segment-heatmap":
        if model.startswith("fcn"):
            return CONVOLUTIONALIZATION
        if model.startswith("unet"):
            return UNET
    if base == "autoencode" and str(metrics.get("mode") or _get(config, "autoencode", "mode") or "") == "manifold":
        return MANIFOLD
    if base == "generate":
        kind = str(metrics.get("kind") or model)
        for prefix, section in _GENERATE_KINDS.items():
            if kind.startswith(prefix):
                return section
    if task == "fundamentals":
        return _STUDIES.get(study_of(metrics, name) or "")
    found = spec(task)
    return found.section if found else None


def study_of(metrics: dict[str, Any], name: str = "") -> str | None:
    """Which fundamentals study wrote ``metrics`` (the run name first, else its keys)."""
    for study in _STUDIES:
        if name.startswith(study):
            return study
    keys = {"gate": "perceptron", "max_abs_diff_vs_finite_differences": "backprop", "final_loss": "optimizers",
            "widths": "approximation", "sigmoid_first_over_last": "vanishing"}
    return next((study for key, study in keys.items() if key in metrics), None)


def _model_name(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    for source in (config.get("model"), metrics.get("model")):
        if isinstance(source, dict) and source.get("name"):
            return str(source["name"])
        if isinstance(source, str):
            return source
    return ""


def _uses_pretrained(config: dict[str, Any]) -> bool:
    return bool(_get(config, "classify", "weights") or _get(config, "classify", "freeze") or config.get("init")
                or "transfer" in config)


def _get(config: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(config, dict):
            return None
        config = config.get(key)
    return config
