"""The tour's table: the course, section by section, as the dlbox runs that show it working.

Every run-writing command appears at least once in the quick tour. Budgets: ``quick`` is what CI runs
(a few minutes on two CPU cores, every figure still the technique working where the budget allows);
``full`` gives each technique enough time that its figure is convincing (the whole tour within 25 minutes
on two CPU cores). Measured figures: benchmarks/RESULTS.md.
"""

from __future__ import annotations

from dlbox.tour.inputs import Images
from dlbox.tour.steps import Ref, Run, Step

OFF = {"progress": False}  # the input-optimisation loops' progress bars (the tour prints one line per step)

# The digits classifier of step "classify": evaluated, asked for predictions, visualized and attacked.
DIGITS = Ref("classify", "train")
# The shapes classifiers of step "transfer": the source (other kinds) for dreams and inversions; the fine-tuned
# circle/square/triangle one, whose backbone becomes an FCN and whose windows give class heatmaps.
SHAPES_SOURCE = Ref("transfer", "source")
SHAPES = Ref("transfer", "finetune")
SHAPES_CNN = {"name": "cnn", "kwargs": {"channels": [16, 32, 64, 64], "head_pool": "flatten", "hidden": [64]}}
# fp32: at 32x32 and these widths bf16 autocast was measured 3x slower on the 2-core development CPU
FP32 = {"precision": "32-true"}

FUNDAMENTALS = (
    Step("perceptron", "A perceptron learns NAND but never XOR", {"1.1": "nand"}, (
        Run("nand", "fundamentals perceptron", {"gate": "nand"}),
        Run("xor", "fundamentals perceptron", {"gate": "xor"}),
    )),
    Step("approximation", "One hidden layer approximates a continuous function", {"1.2": None, "1.2.1": None}, (
        Run("widths", "fundamentals approximation", {}),
    )),
    Step("gradient-descent", "Full-batch, mini-batch, online, momentum and Nesterov", {"2.1": None}, (
        Run("optimizers", "fundamentals optimizers", {}),
    )),
    Step("backprop", "Backpropagation checked by finite differences; vanishing gradients", {"2.2": "backprop"}, (
        Run("backprop", "fundamentals backprop", {}),
        Run("vanishing", "fundamentals vanishing", {}),
    )),
)

CLASSIFICATION = (
    Step("classify", "A CNN classifies handwritten digits", {"3.1": "train", "3.2": "train", "3.3": "train", "3.8": "train"}, (
        Run("train", "classify train", {"data": {"name": "digits"}, "model": {"name": "cnn"}}),  # defaults: 10 epochs, ~5 s
        Run("eval", "classify eval", {"run": DIGITS}),
        Run("predict", "classify predict", {"run": DIGITS, "images": Images("digits", n=8)}),
    )),
    Step("parameters", "Parameters and MACs; depthwise-separable convolutions", {"3.1.1": "summary", "3.4": "summary", "3.4.1": "summary", "3.7": "summary"}, (
        Run("summary", "summary", {"model": "cnn", "compare_separable": True}),
        Run("xception", "summary", {"model": "xception", "input_size": (3, 64, 64), "num_classes": 3}, modes=("full",)),
        Run("layers", "layers", {"model": "cnn"}),
    )),
    Step("residual", "A residual network on digits", {"3.5": None}, (
        Run("resnet", "classify train", {"data": {"name": "digits"}, "model": {"name": "resnet"}},
            quick={"train": {"max_time": 3.0}}, full={"train": {"max_time": 25.0}}),
    )),
    Step("transfer", "Transfer learning: a backbone from other shapes, fine-tuned on 20 labels per class", {"3.6": "finetune"}, (
        Run("source", "classify train",
            {"data": {"name": "shapes", "shapes": ["diamond", "cross", "ring"], "image_size": 32, "split_seed": 100},
             "model": SHAPES_CNN, "fabric": FP32},
            quick={"data": {"num_samples": 1500}, "train": {"epochs": 4}}, full={"data": {"num_samples": 3000}, "train": {"epochs": 6}}),
        Run("finetune", "classify train",
            {"init": SHAPES_SOURCE, "data": {"name": "shapes", "image_size": 32, "train_per_class": 20},
             "model": SHAPES_CNN, "fabric": FP32, "optim": {"backbone_lr_mult": 0.1}, "train": {"batch_size": 16}},
            quick={"data": {"num_samples": 600}, "train": {"epochs": 15}}, full={"data": {"num_samples": 1500}, "train": {"epochs": 30}}),
        Run("scratch", "classify train",
            {"data": {"name": "shapes", "image_size": 32, "num_samples": 1500, "train_per_class": 20},
             "model": SHAPES_CNN, "fabric": FP32, "train": {"batch_size": 16, "epochs": 30}}, modes=("full",)),
    )),
)

GRADIENT_ASCENT = (
    Step("visualize", "What hidden units respond to, and what a layer keeps of an image", {"3.9": "channels", "3.9.1": "channels"}, (
        Run("channels", "visualize channels",
            {"model": DIGITS, "layer": "features.stage2.conv2", "channels": "0-15", "optimize": OFF},
            quick={"channels": "0-7", "optimize": {"steps": 60}}),
        Run("invert", "visualize invert",
            {"model": SHAPES_SOURCE, "image": "sample:astronaut", "layers": ["features.stage1.conv2", "features.stage2.conv2", "features.stage3.conv2"],
             "size": 64, "optimize": OFF},
            quick={"layers": ["features.stage1.conv2", "features.stage3.conv2"], "optimize": {"steps": 60}}, picture="reconstructions.png"),
    )),
    Step("dream", "DeepDream: amplifying what a network sees", {"3.9.2": None}, (
        Run("dream", "dream", {"model": SHAPES_SOURCE, "image": "sample:coffee", "dream": {"optimize": OFF}},
            quick={"size": 128, "dream": {"octaves": 3}}, full={"size": 200}),
    )),
    Step("style", "Style transfer: optimising an image (Gatys) and training a network (Johnson)", {"3.9.3": "transfer"}, (
        Run("transfer", "style transfer",
            {"content": "sample:astronaut", "style": "sample:chelsea", "model": "vgg19", "weights": "random", "gatys": {"optimize": OFF}},
            quick={"size": 64, "gatys": {"optimize": {"steps": 15}}}, full={"size": 128}, picture="gallery.png"),
        Run("train", "style train",
            {"data": {"name": "samples"}, "style": {"image": "sample:chelsea", "loss_model": "vgg16", "weights": "random"}},
            quick={"data": {"image_size": 32}, "model": {"kwargs": {"channels": [8, 16, 32], "res_blocks": 1}}, "train": {"max_steps": 8}},
            full={"data": {"image_size": 64}, "train": {"max_steps": 100}}),
        Run("apply", "style apply", {"run": Ref("style", "train"), "images": ["sample:astronaut", "sample:coffee"]},
            quick={"size": 64}, full={"size": 256}),
    )),
)

MANIFOLD = (
    Step("attack", "Adversarial examples fool the digits classifier", {"3.10": "pgd", "3.10.1": "pgd"}, (
        Run("pgd", "attack", {"run": DIGITS, "method": "pgd", "target": "random", "eps": [0.1, 0.2, 0.3]},
            quick={"n": 64, "eps": [0.3]}, full={"n": 256}),
        Run("evolution", "attack", {"run": DIGITS, "method": "evolution", "eps": [0.2], "n": 64}, modes=("full",)),
    )),
    Step("autoencoders", "Autoencoders: reconstruction, denoising, anomalies, the data manifold",
         {"3.10.2": "manifold", "3.10.3": "anomaly"}, (
        Run("train", "autoencode train", {}, quick={"train": {"max_time": 2.0}}, full={"train": {"max_time": 20.0}}),
        Run("denoise", "autoencode denoise", {}, quick={"train": {"max_time": 3.0}}, full={"train": {"epochs": 30, "max_time": 45.0}}),
        Run("anomaly", "autoencode anomaly",
            {"autoencode": {"anomaly": {"attack": {"run": DIGITS, "method": "pgd", "eps": 0.3}}}},
            quick={"train": {"max_time": 3.0}}, full={"train": {"max_time": 25.0}}),
        Run("manifold", "autoencode manifold", {}, quick={"train": {"max_time": 3.0}}, full={"train": {"max_time": 30.0}},
            picture="latent_map.png"),
    )),
)

SEGMENTATION = (
    Step("segmentation", "Segmenting shapes: U-Net, and an FCN-8s from the shapes classifier",
         {"3.11": "unet", "3.11.1": "heatmap", "3.11.2": "unet"}, (
        Run("unet", "segment train", {"model": {"name": "unet"}},
            quick={"data": {"num_samples": 600, "image_size": 32}, "model": {"kwargs": {"depth": 2, "width": 8}}, "train": {"epochs": 6}},
            full={"train": {"max_time": 90.0}}),
        Run("eval", "segment eval", {"run": Ref("segmentation", "unet"), "worst": 4}),
        Run("predict", "segment predict", {"run": Ref("segmentation", "unet"), "images": Images("shapes", n=4, size=48, max_objects=4)}),
        Run("fcn8s", "segment train", {"model": {"name": "fcn8s"}, "init": SHAPES, "data": {"image_size": 32}},
            quick={"data": {"num_samples": 600}, "train": {"epochs": 3}}, full={"train": {"epochs": 12, "max_time": 60.0}}),
        Run("heatmap", "segment heatmap", {"run": SHAPES, "image": Images("shapes", n=1, size=32, grid=3, single=True)}),
    )),
)

DETECTION = (
    Step("detection", "YOLOv3 finds shapes: anchors, training, mAP, predictions", {"3.12": "train", "3.12.1": "anchors", "3.12.2": "train",
                                                                                  "3.12.3": "predict"}, (
        Run("anchors", "detect anchors", {"data": {"name": "shapes", "image_size": 128, "num_samples": 2400}, "k": 9},
            quick={"data": {"num_samples": 300}}),
        Run("train", "detect train", {}, quick={"data": {"image_size": 64, "num_samples": 200}, "detect": {"max_objects": 3},
                                                "train": {"epochs": 1}},
            full={"train": {"max_time": 120.0}}, picture="pr_curves.png"),
        Run("eval", "detect eval", {"run": Ref("detection", "train")}),
        Run("predict", "detect predict", {"run": Ref("detection", "train"), "inputs": Images("shapes", n=4, size=128, max_objects=6)},
            quick={"inputs": Images("shapes", n=2, size=64, max_objects=3)}),
    )),
)

QUICK_SAMPLES = {"samples": 100}
SCORER = Ref("scorer", "train")
# The VAE and the flow train with a one-cycle schedule sized by their epochs: the epochs are chosen to end within the
# time (max_time only caps a loaded machine); the GAN and the diffusion model use a constant rate and an EMA.
GENERATIVE = (
    # The yardstick of every generative model: a digits CNN with 64 features, as `dlbox generate train` trains and caches
    # by default (tasks.generate.evaluator), here a run of the tour's own so nothing is written outside its directory.
    Step("scorer", "The classifier that scores generated digits (Frechet distance, class entropy)", {"4": "train"}, (
        Run("train", "classify train", {"data": {"name": "digits"}, "model": {"name": "cnn", "kwargs": {"channels": [16, 32, 64]}},
                                        "train": {"epochs": 10}}),
    )),
    Step("vae", "A variational autoencoder on digits", {"4.1": "train", "4.1.1": "train", "4.1.2": "interpolate"}, (
        Run("train", "generate train", {"generate": {"kind": "vae", "evaluator": SCORER}},
            quick={"generate": QUICK_SAMPLES, "train": {"epochs": 8, "max_time": 8.0}},
            full={"train": {"epochs": 120, "max_time": 75.0}}, picture="samples.png"),
        Run("interpolate", "generate interpolate", {"run": Ref("vae", "train")}),
    )),
    Step("gan", "A GAN on digits", {"4.2": "train"}, (
        Run("train", "generate train", {"generate": {"kind": "gan", "evaluator": SCORER}},
            quick={"generate": QUICK_SAMPLES, "train": {"max_time": 5.0}}, full={"train": {"max_time": 80.0}}, picture="samples.png"),
        Run("sample", "generate sample", {"run": Ref("gan", "train"), "n": 64}),
    )),
    Step("flow", "A normalizing flow (RealNVP) on digits", {"4.3": "train"}, (
        Run("train", "generate train", {"generate": {"kind": "flow", "evaluator": SCORER}},
            quick={"generate": QUICK_SAMPLES, "train": {"epochs": 2, "max_time": 8.0}},
            full={"train": {"epochs": 30, "max_time": 100.0}}, picture="samples.png"),
        Run("interpolate", "generate interpolate", {"run": Ref("flow", "train")}),
    )),
    Step("diffusion", "A diffusion model on digits, sampled with DDIM", {"4.4": "train"}, (
        Run("train", "generate train", {"generate": {"kind": "diffusion", "evaluator": SCORER}},
            quick={"generate": {**QUICK_SAMPLES, "ddim_steps": 10}, "train": {"max_time": 6.0}}, full={"train": {"max_time": 120.0}},
            picture="samples.png"),
        Run("sample", "generate sample", {"run": Ref("diffusion", "train"), "n": 64}),
        Run("eval", "generate eval", {"run": Ref("diffusion", "train")}, quick={"samples": 100}, full={"samples": 1000}, picture="samples.png"),
    )),
)

STEPS: tuple[Step, ...] = (*FUNDAMENTALS, *CLASSIFICATION, *GRADIENT_ASCENT, *MANIFOLD, *SEGMENTATION, *DETECTION, *GENERATIVE)
