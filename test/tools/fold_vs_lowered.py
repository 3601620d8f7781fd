#!/usr/bin/env python3
"""Checks that each activation and fake quantization folds to the bits its lowered code computes.

usage: fold_vs_lowered.py --tinyc TINYC --cc CC --work DIR

For every case it builds two ONNX models of the same node: one applies it to a graph input
(computed by the generated code at run time), the other to a constant of the same values
(folded by tinyc at compile time, which the script confirms: the folded model's IR after the
passes holds no operation but constants). It compiles both for the host, runs them on a
grid of values (ties, signed zeros, subnormals, infinities, NaN, the ranges where the
functions saturate, and seeded random values) and prints, per case, how many values differ
in their bits (NaN matches NaN). Exit status 1 if any value differs.
"""
import argparse
import os
import struct
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def grid():
    special = [0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38, 1e-30, -1e-30, 0.5, -0.5, 1.5, -1.5,
               2.5, -2.5, 3.0, -3.0, 6.0, -6.0, 10.0, -10.0, 88.7, -88.7, 103.0, -103.0,
               1e30, -1e30, float("inf"), float("-inf"), float("nan")]
    # Multiples of the quantization scale below and their midpoints: rounding ties.
    ties = [k * 0.05 for k in range(-60, 61)]
    rng = np.random.default_rng(7)
    return np.array(special + ties + list(rng.uniform(-12, 12, 400)), dtype=np.float32)


def cases():
    """(name, [nodes from "x" to "y"], extra initializers, extra tinyc arguments)."""
    act = lambda op, **attrs: [helper.make_node(op, ["x"], ["y"], **attrs)]
    scale = numpy_helper.from_array(np.array(0.1, dtype=np.float32), "scale")
    yield "relu", act("Relu"), [], []
    yield "leaky_relu", act("LeakyRelu", alpha=0.1), [], []
    yield "sigmoid", act("Sigmoid"), [], []
    yield "tanh", act("Tanh"), [], []
    yield "hard_sigmoid", act("HardSigmoid", alpha=0.2, beta=0.5), [], []
    yield "hard_swish", act("HardSwish"), [], []
    for op in ("Abs", "Neg", "Reciprocal", "Sqrt", "Exp", "Floor", "Ceil", "Round", "Softsign",
               "Log", "Softplus", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
               "Asinh", "Acosh", "Atanh", "Erf"):
        yield op.lower(), act(op), [], []
    yield "elu", act("Elu", alpha=0.7), [], []
    yield "selu", act("Selu"), [], []
    yield "celu", act("Celu", alpha=1.5), [], []
    yield "thresholded_relu", act("ThresholdedRelu", alpha=0.5), [], []
    yield "shrink", act("Shrink", lambd=1.5, bias=0.25), [], []
    lo = numpy_helper.from_array(np.array(-1.0, dtype=np.float32), "lo")
    hi = numpy_helper.from_array(np.array(2.0, dtype=np.float32), "hi")
    yield "clip", [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [lo, hi], []
    # Pow, a binary operator whose float32 form is the runtime's tinyc_powf: an odd integer
    # exponent (negative x), a non-integer one (nan for negative x), and x as the exponent
    for name, value, x_is_base in (("pow_3", 3.0, True), ("pow_half", 0.5, True),
                                   ("pow_1.5_to_x", 1.5, False)):
        c = numpy_helper.from_array(np.array(value, dtype=np.float32), "c")
        operands = ["x", "c"] if x_is_base else ["c", "x"]
        yield name, [helper.make_node("Pow", operands, ["y"])], [c], []
    for elem, zp_value in ((np.int8, 3), (np.uint8, 128)):
        zp = numpy_helper.from_array(np.array(zp_value, dtype=elem), "zp")
        nodes = [helper.make_node("QuantizeLinear", ["x", "scale", "zp"], ["q"]),
                 helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["y"])]
        # fused into one fake quantization, and as the two operators they are
        yield "fake_quant_%s" % np.dtype(elem).name, nodes, [scale, zp], []
        yield "quantize_dequantize_%s" % np.dtype(elem).name, nodes, [scale, zp], [
            "--disable-pass=tinyc-fuse-quantize-pairs"]


def make_model(nodes, inits, values, folded):
    n = values.size
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])
    if folded:
        inits = inits + [numpy_helper.from_array(values, "x")]
        inputs = []
    else:
        inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])]
    graph = helper.make_graph(nodes, "g", inputs, [out], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


MAIN_C = r"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "rt.h"
#include "fold.h"

static const uint32_t bits[%(n)d] = {%(bits)s};
static float x[%(n)d], computed[%(n)d], folded[%(n)d];
static unsigned char arena_rt[RT_ARENA_BYTES + 1] __attribute__((aligned(64)));
static unsigned char arena_fold[FOLD_ARENA_BYTES + 1] __attribute__((aligned(64)));

int main(void) {
    memcpy(x, bits, sizeof x);
    const void *in[1] = {x};
    void *out_rt[1] = {computed}, *out_fold[1] = {folded};
    if (rt_run(in, out_rt, arena_rt) != 0 || fold_run(NULL, out_fold, arena_fold) != 0)
        return 2;
    int differ = 0;
    for (int i = 0; i < %(n)d; i++) {
        uint32_t a, b;
        memcpy(&a, &computed[i], 4);
        memcpy(&b, &folded[i], 4);
        int nan_a = computed[i] != computed[i], nan_b = folded[i] != folded[i];
        if (nan_a && nan_b)
            continue;
        if (a != b) {
            if (differ < 5)
                printf("  x = %%a (0x%%08x): computed %%a (0x%%08x), folded %%a (0x%%08x)\n",
                       x[i], (unsigned)bits[i], computed[i], (unsigned)a, folded[i], (unsigned)b);
            differ++;
        }
    }
    printf("%%d\n", differ);
    return 0;
}
"""


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), proc.stdout, proc.stderr))
    return proc.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tinyc", required=True)
    p.add_argument("--cc", required=True)
    p.add_argument("--work", required=True)
    args = p.parse_args()
    values = grid()
    bits = ", ".join("0x%08xu" % struct.unpack("<I", struct.pack("<f", v))[0] for v in values)
    failed = False
    for name, nodes, inits, extra in cases():
        work = os.path.join(args.work, name)
        os.makedirs(work, exist_ok=True)
        for kind in ("rt", "fold"):
            path = os.path.join(work, kind + ".onnx")
            onnx.save(make_model(nodes, inits, values, kind == "fold"), path)
            run([args.tinyc, path, "-target=x86-64", "-name=" + kind, "-o", os.path.join(work, kind + ".o")] + extra)
        ir = run([args.tinyc, os.path.join(work, "fold.onnx"), "-target=x86-64", "-emit=mlir", "-o", "-"])
        ops = {line.split("=", 1)[1].split()[0] for line in ir.splitlines() if " = tinyc." in line}
        if ops - {"tinyc.constant"}:
            print("%s: the constant model did not fold (%s left)" % (name, " ".join(sorted(ops))))
            failed = True
            continue
        with open(os.path.join(work, "main.c"), "w") as f:
            f.write(MAIN_C % {"n": values.size, "bits": bits})
        exe = os.path.join(work, "main")
        run([args.cc, "-O1", "-I", work, os.path.join(work, "main.c"), os.path.join(work, "rt.o"),
             os.path.join(work, "fold.o"), "-o", exe])
        lines = run([exe]).splitlines()
        differ = int(lines[-1])
        print("%s: %d values, %d differ%s" % (name, values.size, differ,
                                               "".join("\n" + l for l in lines[:-1])))
        failed |= differ != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
