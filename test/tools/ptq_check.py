#!/usr/bin/env python3
"""Checks tinyc --quantize=int8 on a float model against the float model in ONNX Runtime.

usage: ptq_check.py --tinyc PATH --runner PATH --ort-reference PATH --work DIR
                    [--strip-qdq] [--calibration N] [--holdout M] [--seed S]
                    [--min-top1 FRACTION] [--min-classes N] [--min-sqnr DB] [--max-error F]
                    [--scale-min S] [--target T] MODEL_DIR

MODEL_DIR holds model.onnx and test_data_set_0/input_0.pb (one graph input). With --strip-qdq
the model is a QDQ model made float here: each DequantizeLinear of an initializer becomes its
float initializer ((q - zero_point) * scale, numpy) and each QuantizeLinear -> DequantizeLinear
pair on an activation is removed.

Inputs are made here, deterministically from --seed: N calibration sets and M hold-out sets,
each input x = a * x0 + b * std(x0) * noise, with x0 the bundled input, noise standard normal
and a, b drawn per set (a in [0, 1.5], b in [0, 1]), plus for rank-2 and rank-4 inputs a smooth
random field (a coarse random grid upsampled) of up to 2 std(x0), all times a factor drawn
log-uniformly in [--scale-min, 1] (default 1), so that the float model's classes vary.
No hold-out set is a calibration set (other draws of the generator). ONNX Runtime (through
ort-reference) computes the float model's outputs on the hold-out sets; tinyc-run compiles the
float model with --quantize=int8 --calibration=WORK/calibration and runs it on them. Then:

  --min-top1 F   the argmax of the quantized output equals the float model's on at least F of
                 the hold-out sets, and the float model's argmax takes at least --min-classes
                 values over them (default 2: else the check could not tell a constant output
                 from a right one; with 1, pair it with --max-error);
  --min-sqnr DB  the SQNR of the quantized outputs against the float ones over the hold-out
                 sets is at least DB (only where tinyc-run prints every value: up to 64);
  --max-error F  the largest |quantized - float| output over the hold-out sets is at most F of
                 the largest |float| output (for a model without classes, the autoencoder).

Prints the figures; exits 1 when a check fails, 2 on an error.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def strip_qdq(model):
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    alias = {}
    removed = set()
    new_inits = []
    relus = {}
    for n in g.node:
        if n.op_type != "DequantizeLinear":
            continue
        x = n.input[0]
        if x in inits:
            q = numpy_helper.to_array(inits[x]).astype(np.float64)
            scale = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
            zp = (numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
                  if len(n.input) > 2 and n.input[2] else np.zeros_like(scale))
            axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
            if scale.ndim == 1 and scale.size > 1:
                shape = [1] * q.ndim
                shape[axis] = scale.size
                scale, zp = scale.reshape(shape), zp.reshape(shape)
            f = ((q - zp) * scale).astype(np.float32)
            new_inits.append(numpy_helper.from_array(f, n.output[0]))
            removed.add(id(n))
        elif x in producers and producers[x].op_type == "QuantizeLinear":
            q = producers[x]
            src = q.input[0]
            zp = numpy_helper.to_array(inits[q.input[2]]) if len(q.input) > 2 and q.input[2] \
                else np.zeros((), np.uint8)
            # A zero point at the type's minimum clamps at 0: the Relu the converter folded
            # into the quantization, which the float model needs back.
            if zp.size == 1 and int(zp.reshape(-1)[0]) == np.iinfo(zp.dtype).min:
                relu = src + "_relu_of_" + n.output[0]
                if relu not in relus:
                    relus[relu] = helper.make_node("Relu", [src], [relu], name=relu)
                src = relu
            alias[n.output[0]] = src
            removed.add(id(n))
            removed.add(id(q))

    def resolve(name):
        while name in alias:
            name = alias[name]
        return name

    nodes = []
    for n in g.node:
        if id(n) in removed:
            continue
        n2 = onnx.NodeProto()
        n2.CopyFrom(n)
        del n2.input[:]
        n2.input.extend(resolve(i) for i in n.input)
        nodes.append(n2)
        for out in n.output:
            nodes.extend(r for name, r in relus.items() if r.input[0] == out)
    nodes[:0] = [r for r in relus.values() if r.input[0] in {i.name for i in g.input}]
    used = {i for n in nodes for i in n.input}
    # A graph output that a DequantizeLinear produced: its float producer's value, renamed back.
    for o in g.output:
        src = resolve(o.name)
        if src != o.name:
            for n in nodes:
                for k, out in enumerate(n.output):
                    if out == src:
                        n.output[k] = o.name
                for k, i in enumerate(n.input):
                    if i == src:
                        n.input[k] = o.name
    keep_inits = [t for t in g.initializer if t.name in used] + \
                 [t for t in new_inits if t.name in used]
    graph = helper.make_graph(nodes, g.name, list(g.input), list(g.output), keep_inits)
    out = helper.make_model(graph, opset_imports=model.opset_import, ir_version=model.ir_version)
    onnx.checker.check_model(out)
    return out


def write_set(folder, x):
    os.makedirs(folder, exist_ok=True)
    onnx.save_tensor(numpy_helper.from_array(x.astype(np.float32), "input"),
                     os.path.join(folder, "input_0.pb"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model_dir")
    p.add_argument("--tinyc", required=True)
    p.add_argument("--runner", required=True)
    p.add_argument("--ort-reference", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--strip-qdq", action="store_true")
    p.add_argument("--calibration", type=int, default=8)
    p.add_argument("--holdout", type=int, default=16)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--min-top1", type=float)
    p.add_argument("--min-sqnr", type=float)
    p.add_argument("--max-error", type=float)
    p.add_argument("--min-classes", type=int, default=2)
    p.add_argument("--scale-min", type=float, default=1.0)
    p.add_argument("--target", default="x86-64")
    p.add_argument("--tinyc-arg", action="append", default=[])
    args = p.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    model = onnx.load(os.path.join(args.model_dir, "model.onnx"))
    if args.strip_qdq:
        model = strip_qdq(model)
    ops = sorted({n.op_type for n in model.graph.node})
    if "QuantizeLinear" in ops or "DequantizeLinear" in ops:
        sys.exit("ptq_check: error: the float model still has QDQ nodes")
    model_dir = os.path.join(args.work, "float")
    os.makedirs(model_dir)
    onnx.save(model, os.path.join(model_dir, "model.onnx"))

    x0 = numpy_helper.to_array(onnx.load_tensor(
        os.path.join(args.model_dir, "test_data_set_0", "input_0.pb"))).astype(np.float64)
    rng = np.random.default_rng(args.seed)
    std = float(x0.std()) or 1.0

    def smooth_field():
        # Images (N, C, H, W or N, H, W, C): a random coarse grid, upsampled, so that the
        # inputs have shapes and shading and not only pixel noise.
        shape = x0.shape
        if x0.ndim == 2:  # features (N, K): a coarse random curve along them
            cells = int(rng.integers(2, 33))
            idx = np.minimum((np.arange(shape[1]) * cells) // shape[1], cells - 1)
            return rng.standard_normal((shape[0], cells))[:, idx]
        spatial = (2, 3) if shape[1] <= 4 else (1, 2)
        cells = int(rng.integers(2, 9))
        coarse_shape = list(shape)
        for d in spatial:
            coarse_shape[d] = cells
        coarse = rng.standard_normal(coarse_shape)
        for d in spatial:
            idx = np.minimum((np.arange(shape[d]) * cells) // shape[d], cells - 1)
            coarse = np.take(coarse, idx, axis=d)
        return coarse

    def draw():
        a, b = rng.uniform(0.0, 1.5), rng.uniform(0.0, 1.0)
        x = a * x0 + b * std * rng.standard_normal(x0.shape)
        if x0.ndim in (2, 4):
            x = x + rng.uniform(0.0, 2.0) * std * smooth_field()
        if args.scale_min < 1.0:
            x = x * np.exp(rng.uniform(np.log(args.scale_min), 0.0))
        return x

    calibration = os.path.join(args.work, "calibration")
    for i in range(args.calibration):
        write_set(os.path.join(calibration, "test_data_set_%d" % i), draw())
    for i in range(args.holdout):
        write_set(os.path.join(model_dir, "test_data_set_%d" % i), draw())
    data = []
    for i in range(args.holdout):
        data += ["--data", "test_data_set_%d" % i]
    subprocess.run([sys.executable, args.ort_reference, model_dir] + data, check=True,
                   stdout=subprocess.DEVNULL)

    cmd = [sys.executable, args.runner, model_dir, "-target=" + args.target, "--print",
           "--tinyc", args.tinyc,
           "--atol", "1e30", "--", "--quantize=int8", "--calibration=" + calibration] + args.tinyc_arg
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if run.returncode != 0:
        sys.stdout.write(run.stdout)
        sys.exit("ptq_check: error: tinyc-run failed (status %d)" % run.returncode)
    # Per data set (in tinyc-run's order, labelled by the set's name), the printed values.
    got, ref = {}, {}
    current = None
    for line in run.stdout.splitlines():
        m = re.search(r"(test_data_set_\d+)\S*\s.*\bshape\b", line)
        if m:
            current = m.group(1)
            got[current], ref[current] = [], []
            continue
        m = re.match(r"\s+\[(\d+)\]\s+(\S+)\s+(\S+)", line)
        if m and current:
            got[current].append(float(m.group(2)))
            ref[current].append(float(m.group(3)))
    if len(got) != args.holdout:
        sys.stdout.write(run.stdout)
        sys.exit("ptq_check: error: read %d of %d hold-out sets' outputs" % (len(got), args.holdout))
    # tinyc-run prints the first 64 values; the largest error is over them all.
    complete = all(numpy_helper.to_array(onnx.load_tensor(
        os.path.join(model_dir, name, "output_0.pb"))).size == len(got[name]) for name in got)
    max_err = max(float(e) for e in re.findall(r"max abs err (\S+)", run.stdout))
    max_ref = max(float(np.abs(numpy_helper.to_array(onnx.load_tensor(
        os.path.join(model_dir, name, "output_0.pb")))).max()) for name in got)

    ok = True
    names = sorted(got, key=lambda s: int(s.rsplit("_", 1)[1]))
    g = np.array([got[n] for n in names])
    r = np.array([ref[n] for n in names])
    noise = float(((g - r) ** 2).sum())
    sqnr = 10 * np.log10(float((r ** 2).sum()) / noise) if noise > 0 else float("inf")
    print("hold-out sets: %d, calibration sets: %d" % (len(names), args.calibration))
    print("largest output error: %.4g (largest float output %.4g: %.4f of it)" % (
        max_err, max_ref, max_err / max_ref))
    if complete:
        print("output SQNR against the float model: %.1f dB" % sqnr)
    if args.min_top1 is not None:
        top_g, top_r = g.argmax(axis=1), r.argmax(axis=1)
        agree = float((top_g == top_r).mean())
        classes = len(set(top_r.tolist()))
        print("top-1 agreement: %d of %d (%.3f); float classes over the hold-out: %d" % (
            int((top_g == top_r).sum()), len(names), agree, classes))
        if agree < args.min_top1:
            print("FAIL: top-1 agreement below %.3f" % args.min_top1)
            ok = False
        if classes < args.min_classes:
            print("FAIL: the float model gives fewer than %d classes over the hold-out sets" %
                  args.min_classes)
            ok = False
    if args.min_sqnr is not None and not (complete and sqnr >= args.min_sqnr):
        print("FAIL: output SQNR below %.1f dB (or not all outputs printed)" % args.min_sqnr)
        ok = False
    if args.max_error is not None and not max_err <= args.max_error * max_ref:
        print("FAIL: largest output error above %.4f of the largest float output" % args.max_error)
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
