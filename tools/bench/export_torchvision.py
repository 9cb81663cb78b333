#!/usr/bin/python3
"""Exports full-size torchvision classifiers with random weights to ONNX, for ForwardBenchmark's model=onnx.

    /usr/bin/python3 tools/bench/export_torchvision.py OUT_DIR [MODEL ...]

Each model is built with weights=None (random initialisation, torch.manual_seed(0)), put in eval mode and
exported at 1x3x224x224 with opset 13, input "input", output "output", and a dynamic batch dimension on both
(so the same file runs at batch 1 and 8), as OUT_DIR/<model>.onnx. Without MODEL arguments it exports the set
measured in docs/performance.md. Needs torch and torchvision (tested with torch 1.13, torchvision 0.14).
The files are 5-110 MB each; do not commit them.
"""
import os
import sys

import torch
import torchvision

DEFAULT = [
    "efficientnet_b0", "mobilenet_v3_large", "shufflenet_v2_x1_0", "convnext_tiny", "regnet_y_400mf",
    "resnext50_32x4d", "mnasnet1_0", "densenet121", "googlenet", "squeezenet1_1",
]


def export(name, out_dir):
    torch.manual_seed(0)
    ctor = getattr(torchvision.models, name)
    kwargs = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kwargs["aux_logits"] = False  # one output
        kwargs["init_weights"] = True
    model = ctor(**kwargs).eval()
    x = torch.randn(1, 3, 224, 224)
    path = os.path.join(out_dir, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    print("exported", name, "->", path, flush=True)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name in argv[2:] or DEFAULT:
        export(name, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
