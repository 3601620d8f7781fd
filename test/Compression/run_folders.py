#!/usr/bin/env python3
"""Runs generated model folders through tinyc and tinyc-run, for the
compression tests.

usage: run_folders.py --tinyc PATH --runner PATH -target=T [--only REGEX] [--skip REGEX]
                      [--applied PASS | --not-applied PASS]... [--exact] [--quant-steps N]
                      [--sanitize]
                      [--tolerance-bound EPS] FOLDER... [-- tinyc args]

For each folder (an ONNX backend-test layout) it asks `tinyc --report=json`
which passes applied and checks the --applied / --not-applied expectations
(a pass is "applied" when some layer lists it), then runs tinyc-run against
the folder's ONNX Runtime reference. --exact demands bit-identical outputs;
--quant-steps N allows N quantization steps on outputs of DequantizeLinear.
--tolerance-bound EPS is for approximations with a relative weight error of
at most EPS: it allows each output the error that bound implies for the
folder's single convolution (|dy| <= EPS * ||W||_F * max window norm of x)
or single Gemm/MatMul (|dy| <= EPS * |alpha| * ||W||_F * max row norm of x),
computed here with numpy from the model and its input, independently of the
compiler. Prints one line per folder and exits 1 if any fails.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper


def matrix_error_bound(model, inits, x, eps):
    """For a single Gemm or MatMul: eps * |alpha| * ||W||_F * the largest norm of a row of x
    (each output is a row of x times a column of the approximated W)."""
    node = next(n for n in model.graph.node if n.op_type in ("Gemm", "MatMul"))
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    w = inits[node.input[1]].astype(np.float64)
    rows = x.astype(np.float64)
    if attrs.get("transA", 0):
        rows = np.swapaxes(rows, -1, -2)
    worst = float(np.sqrt((rows ** 2).sum(axis=-1)).max())
    return eps * abs(attrs.get("alpha", 1.0)) * float(np.linalg.norm(w)) * worst


def conv_error_bound(folder, eps):
    """eps * ||W||_F * max over output positions of the input window's norm (for a 1x1
    convolution too: a window of one position); for a single Gemm or MatMul, the row form."""
    model = onnx.load(os.path.join(folder, "model.onnx"))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    if not any(n.op_type == "Conv" for n in model.graph.node):
        x = numpy_helper.to_array(
            onnx.load_tensor(os.path.join(folder, "test_data_set_0", "input_0.pb")))
        return matrix_error_bound(model, inits, x, eps)
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    w = inits[conv.input[1]]
    x = numpy_helper.to_array(
        onnx.load_tensor(os.path.join(folder, "test_data_set_0", "input_0.pb")))
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in conv.attribute}
    kh, kw = w.shape[2:]
    sh, sw = attrs.get("strides", [1, 1])
    dh, dw = attrs.get("dilations", [1, 1])
    group = attrs.get("group", 1)
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    h, wd = x.shape[2:]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for size, k, s, d in ((h, kh, sh, dh), (wd, kw, sw, dw)):
            out = -(-size // s)
            total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
            small, large = total // 2, total - total // 2
            pads.append((small, large) if auto_pad == "SAME_UPPER" else (large, small))
        (pt, pb), (pl, pr) = pads
    elif auto_pad == "VALID":
        pt = pb = pl = pr = 0
    else:
        pt, pl, pb, pr = attrs.get("pads", [0, 0, 0, 0])
    squares = np.pad(x.astype(np.float64) ** 2, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    channels = x.shape[1] // group
    worst = 0.0
    for g in range(group):
        block = squares[:, g * channels:(g + 1) * channels].sum(axis=1)
        for i in range(0, block.shape[1] - (kh - 1) * dh, sh):
            for j in range(0, block.shape[2] - (kw - 1) * dw, sw):
                window = block[:, i:i + (kh - 1) * dh + 1:dh, j:j + (kw - 1) * dw + 1:dw]
                worst = max(worst, float(np.sqrt(window.sum(axis=(1, 2)).max())))
    return eps * float(np.linalg.norm(w.astype(np.float64))) * worst


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser()
    parser.add_argument("--tinyc", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("-target", "--target", required=True)
    parser.add_argument("--only")
    parser.add_argument("--skip")
    parser.add_argument("--applied", action="append", default=[])
    parser.add_argument("--not-applied", action="append", default=[])
    parser.add_argument("--exact", action="store_true")
    parser.add_argument("--quant-steps", type=int)
    parser.add_argument("--sanitize", action="store_true")
    parser.add_argument("--tolerance-bound", type=float)
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args(argv)

    folders = sorted(f for pattern in args.folders for f in glob.glob(pattern) if os.path.isdir(f))
    if args.only:
        folders = [f for f in folders if re.search(args.only, os.path.basename(f))]
    if args.skip:
        folders = [f for f in folders if not re.search(args.skip, os.path.basename(f))]
    if not folders:
        print("no folders to run")
        return 1
    failures = 0
    for folder in folders:
        name = os.path.basename(folder)
        problems = []
        with tempfile.TemporaryDirectory() as work:
            report = subprocess.run(
                [args.tinyc, os.path.join(folder, "model.onnx"), "-target=" + args.target, "-o",
                 os.path.join(work, "model.o"), "--report=json"] + extra,
                capture_output=True, text=True)
        if report.returncode != 0:
            problems.append("tinyc failed: " + report.stderr.strip())
        else:
            layers = json.loads(report.stdout)["layers"]
            applied = {p.split(":")[0] for layer in layers for p in layer["applied"]}
            for p in args.applied:
                if p not in applied:
                    problems.append("%s did not apply" % p)
            for p in args.not_applied:
                if p in applied:
                    problems.append("%s applied" % p)
        run = [sys.executable, args.runner, folder, "-target=" + args.target, "--tinyc", args.tinyc]
        if args.exact:
            run += ["--atol", "0", "--rtol", "0"]
        if args.tolerance_bound is not None:
            bound = conv_error_bound(folder, args.tolerance_bound)
            # The bound plus float32 rounding of the two computations.
            run += ["--atol", repr(bound + 1e-4), "--rtol", "1e-4"]
        if args.quant_steps is not None:
            run += ["--quant-steps", str(args.quant_steps)]
        if args.sanitize:
            run.append("--sanitize")
        if extra:
            run += ["--"] + extra
        result = subprocess.run(run, capture_output=True, text=True)
        if result.returncode != 0:
            problems.append("tinyc-run: " + (result.stdout + result.stderr).strip())
        summary = " ".join(l.strip() for l in result.stdout.splitlines() if "err" in l)
        if problems:
            failures += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
        else:
            print("PASS %s: %s" % (name, summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
