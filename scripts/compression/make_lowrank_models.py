#!/usr/bin/env python3
"""Layers whose weight matrices have low rank, for tinyc-factorize-matrices, with ONNX Runtime
references.

usage: make_lowrank_models.py OUT [--only NAME]...

  gemm_rank4        Gemm (transB, alpha 0.5, bias) with 48 x 40 weights of rank 4
  matmul_rank3      batched MatMul [2, 5, 32] x [32, 36] of rank 3, then Relu
  conv1x1_rank3     Conv 1x1, 16 -> 24 channels of rank 3, stride 2, padded by 1, bias
  gemm_fullrank     Gemm with random 24 x 20 weights: full rank, left alone
  gemm_near_rank4   Gemm with rank-4 weights plus noise of relative size about 3e-4: exact
                    factorization finds no saving, --factorize-tolerance=1e-3 does

The low-rank weights are products of two random Gaussian factors, rounded to float32, so their
rank is exact up to that rounding.
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

NAMES = ["gemm_rank4", "matmul_rank3", "conv1x1_rank3", "gemm_fullrank", "gemm_near_rank4"]


def low_rank(rng, rows, cols, rank):
    return (rng.normal(0, 0.5, (rows, rank)) @ rng.normal(0, 0.5, (rank, cols))).astype(np.float32)


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def build(name, rng):
    f32 = np.float32
    if name in ("gemm_rank4", "gemm_fullrank", "gemm_near_rank4"):
        n, k = (40, 48) if name != "gemm_fullrank" else (24, 20)
        if name == "gemm_fullrank":
            w = rng.normal(0, 0.5, (n, k)).astype(f32)
        else:
            w = low_rank(rng, n, k, 4)
            if name == "gemm_near_rank4":
                w = (w + rng.normal(0, 3e-4 * np.linalg.norm(w) / np.sqrt(w.size), w.shape)).astype(f32)
        node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm", transB=1, alpha=0.5)
        inits = [numpy_helper.from_array(w, "w"),
                 numpy_helper.from_array(rng.normal(0, 0.3, (n,)).astype(f32), "b")]
        graph = helper.make_graph([node], name, [tensor("x", [3, k])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 1, (3, k)).astype(f32)]
    if name == "matmul_rank3":
        nodes = [helper.make_node("MatMul", ["x", "w"], ["m"], name="matmul"),
                 helper.make_node("Relu", ["m"], ["y"], name="relu")]
        inits = [numpy_helper.from_array(low_rank(rng, 32, 36, 3), "w")]
        graph = helper.make_graph(nodes, name, [tensor("x", [2, 5, 32])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 1, (2, 5, 32)).astype(f32)]
    if name == "conv1x1_rank3":
        w = low_rank(rng, 24, 16, 3).reshape(24, 16, 1, 1)
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", strides=[2, 2],
                                pads=[1, 1, 1, 1])
        inits = [numpy_helper.from_array(w, "w"),
                 numpy_helper.from_array(rng.normal(0, 0.3, (24,)).astype(f32), "b")]
        graph = helper.make_graph([node], name, [tensor("x", [1, 16, 7, 7])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 1, (1, 16, 7, 7)).astype(f32)]
    raise KeyError(name)


def main():
    out, names = common.parse_selection(sys.argv[1:], __doc__.split("\n")[0], NAMES, "model")
    for name in names:
        graph, inputs = build(name, common.rng_for(name))
        common.write_folder(os.path.join(out, name), common.make_model(graph), inputs)
        print(name)


if __name__ == "__main__":
    main()
