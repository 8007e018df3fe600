"""One tiny invocation of every run-writing CLI command, shared by the tests that need a run of each
(tests/test_every_command_writes_a_report.py, tests/browser/test_browser_every_command.py) through the
session fixture ``command_run`` in tests/conftest.py, so each command runs once per test session.
"""

from __future__ import annotations

CNN = ["--model", "cnn", "--model-arg", "channels=[4,8]", "--model-arg", "convs_per_stage=1"]
AUTOENCODE = ["--model-arg", "channels=[4,8]", "--epochs", "1", "--set", "data.train_per_class=20", "--no-progress", "--accelerator", "cpu"]
DETECT = ["--image-size", "64", "--num-samples", "40", "--max-objects", "3"]
FEATURES = "features.stage1.conv1"

# command -> (arguments before --out, the task run.json names); {COMMAND} is the run directory that command wrote
COMMANDS: dict[str, tuple[list[str], str]] = {
    "classify train": (["classify", "train", *CNN, "--epochs", "1", "--batch-size", "64", "--no-progress"], "classify"),
    "classify eval": (["classify", "eval", "--run", "{classify train}"], "classify-eval"),
    "classify predict": (["classify", "predict", "sample:coffee", "--run", "{classify train}"], "classify-predict"),
    "segment train": (["segment", "train", "--data", "shapes", "--image-size", "32", "--model-arg", "depth=2", "--model-arg", "width=4",
                       "--num-samples", "24", "--batch-size", "8", "--max-steps", "2", "--no-progress", "--accelerator", "cpu"], "segment"),
    "segment eval": (["segment", "eval", "--run", "{segment train}"], "segment-eval"),
    "segment predict": (["segment", "predict", "sample:coffee", "--size", "32", "--run", "{segment train}"], "segment-predict"),
    "segment heatmap": (["segment", "heatmap", "sample:coffee", "--size", "24", "--run", "{classify train}"], "segment-heatmap"),
    "autoencode train": (["autoencode", "train", "--latent-dim", "3", *AUTOENCODE], "autoencode"),
    "autoencode denoise": (["autoencode", "denoise", "--noise", "0.2", *AUTOENCODE], "autoencode"),
    "autoencode anomaly": (["autoencode", "anomaly", "--normal", "0,1", *AUTOENCODE], "autoencode"),
    "autoencode manifold": (["autoencode", "manifold", "--grid", "3", *AUTOENCODE], "autoencode"),
    "detect train": (["detect", "train", *DETECT, "--model-arg", "width=0.125", "--batch-size", "8", "--max-steps", "1", "--no-progress",
                      "--accelerator", "cpu", "--set", "data.val_fraction=0.2", "--set", "data.test_fraction=0.2"], "detect"),
    "detect eval": (["detect", "eval", "--run", "{detect train}"], "detect-eval"),
    "detect predict": (["detect", "predict", "--run", "{detect train}", "sample:coffee"], "detect-predict"),
    "detect anchors": (["detect", "anchors", *DETECT, "--k", "6"], "detect-anchors"),
    "generate train": (["generate", "train", "--model", "gan", "--latent-dim", "4", "--model-arg", "g_width=8", "--model-arg", "d_width=8",
                        "--max-steps", "2", "--no-progress", "--accelerator", "cpu", "--set", "data.train_per_class=20", "--samples", "20",
                        "--evaluator", "{evaluator}"], "generate"),
    "generate sample": (["generate", "sample", "--run", "{generate train}", "--n", "4", "--accelerator", "cpu"], "generate-sample"),
    "generate eval": (["generate", "eval", "--run", "{generate train}", "--samples", "12"], "generate-eval"),
    "generate interpolate": (["generate", "interpolate", "--run", "{generate train}", "--pairs", "1", "--steps", "3"], "generate-interpolate"),
    "style transfer": (["style", "transfer", "sample:astronaut", "sample:gravel", "--model", "cnn", "--size", "12", "--steps", "2",
                        "--no-progress"], "style-transfer"),
    "style train": (["style", "train", "--style", "sample:brick", "--data", "digits", "--size", "16", "--loss-model", "cnn",
                     "--channels", "4,4,8", "--res-blocks", "1", "--batch-size", "16", "--max-steps", "1", "--no-progress",
                     "--accelerator", "cpu"], "style"),
    "style apply": (["style", "apply", "--run", "{style train}", "sample:coffee", "--size", "16"], "style-apply"),
    "visualize channels": (["visualize", "channels", "--model", "{classify train}", "--layer", FEATURES, "--channels", "0-1",
                            "--val-data", "none", "--steps", "2", "--no-progress"], "visualize-channels"),
    "visualize invert": (["visualize", "invert", "sample:coffee", "--model", "{classify train}", "--layers", FEATURES, "--steps", "2",
                          "--no-progress", "--accelerator", "cpu"], "visualize-invert"),
    "dream": (["dream", "sample:coffee", "--model", "{classify train}", "--layers", FEATURES, "--size", "16", "--octaves", "1",
               "--steps", "2", "--no-progress"], "dream"),
    "attack": (["attack", "--run", "{classify train}", "--eps", "0.1", "--n", "4", "--steps", "2"], "attack"),
    "layers": (["layers", "{classify train}"], "layers"),
    "summary": (["summary", "{classify train}"], "summary"),
    **{f"fundamentals {study}": (["fundamentals", study, *args], "fundamentals") for study, args in {
        "perceptron": ["--epochs", "5"], "backprop": ["--epochs", "5"], "optimizers": ["--epochs", "2"],
        "approximation": ["--widths", "2,4"], "vanishing": ["--depth", "2", "--width", "4"]}.items()},
}
