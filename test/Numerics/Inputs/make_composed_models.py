#!/usr/bin/env python3
"""Writes ONNX backend-test folders for the operators tinyc composes from others and for the
forms of them that libonnx-testdata 1.12 has no case of (its operators stop at opset 17).

usage: make_composed_models.py OUT

Each OUT/<case> gets model.onnx and test_data_set_0/input_<i>.pb; the test runs ONNX Runtime
(tools/ort-reference) on them for the outputs, except OUT/reduce_noop, whose reference is
numpy's, written here: ONNX's reference applies the elementwise step of a reduction over no
axes (np.square for ReduceSumSquare).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(20261207)


def write_case(out, name, nodes, inputs, outputs, opset, initializers=(), references=None):
    folder = os.path.join(out, name)
    # outputs are float unless a reference says otherwise
    types = {n: onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype] for n, a in references or []}
    os.makedirs(os.path.join(folder, "test_data_set_0"))
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], a.shape)
         for n, a in inputs],
        [helper.make_tensor_value_info(n, types.get(n, TensorProto.FLOAT), None) for n in outputs],
        initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    # (no onnx.checker: Debian's onnx predates Gelu; ONNX Runtime validates the model)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for i, (n, a) in enumerate(inputs):
        with open(os.path.join(folder, "test_data_set_0", "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for i, (n, a) in enumerate(references or []):
        with open(os.path.join(folder, "test_data_set_0", "output_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())


def uniform(lo, hi, shape):
    return RNG.uniform(lo, hi, shape).astype(np.float32)


def main(out):
    node = helper.make_node
    x = uniform(-4, 4, (3, 4, 5))
    pos = uniform(0.1, 3, (3, 4, 5))
    # ReduceLogSumExp in float32 (the data's cases are all float64).
    write_case(out, "reduce_log_sum_exp", [
        node("ReduceLogSumExp", ["x"], ["y"], axes=[1], keepdims=1),
        node("ReduceLogSumExp", ["x"], ["z"], keepdims=0)],
        [("x", x)], ["y", "z"], 13)
    # Opset 18: the axes are an input.
    axes = [numpy_helper.from_array(np.array(a, dtype=np.int64), n)
            for n, a in (("last", [-1]), ("outer", [0, 2]), ("middle", [1]))]
    write_case(out, "reduce_axes_input", [
        node("ReduceL1", ["x", "last"], ["l1"], keepdims=0),
        node("ReduceL2", ["x", "outer"], ["l2"]),
        node("ReduceSumSquare", ["x", "middle"], ["ss"], keepdims=0),
        node("ReduceLogSum", ["p", "outer"], ["ls"]),
        node("ReduceLogSumExp", ["x", "last"], ["lse"])],
        [("x", x), ("p", pos)], ["l1", "l2", "ss", "ls", "lse"], 18, axes)
    # noop_with_empty_axes: the elementwise steps alone, numpy's reference.
    write_case(out, "reduce_noop", [
        node("ReduceSumSquare", ["x"], ["ss"], noop_with_empty_axes=1),
        node("ReduceL1", ["x"], ["l1"], noop_with_empty_axes=1),
        node("ReduceLogSum", ["p"], ["ls"], noop_with_empty_axes=1)],
        [("x", x), ("p", pos)], ["ss", "l1", "ls"], 18,
        references=[("ss", np.square(x)), ("l1", np.abs(x)), ("ls", np.log(pos))])
    g = uniform(-6, 6, (4, 50))
    write_case(out, "gelu_mish", [
        node("Gelu", ["x"], ["exact"]),
        node("Gelu", ["x"], ["tanh"], approximate="tanh"),
        node("Mish", ["x"], ["mish"])],
        [("x", g)], ["exact", "tanh", "mish"], 20)
    # OneHot: negative indices count from the end, those outside [-depth, depth) match
    # nowhere; depth and values as constants, axis in the middle.
    indices = np.array([[0, 3, -1, 7], [-5, 2, -6, 4]], dtype=np.int64)
    consts = [numpy_helper.from_array(np.array(5, dtype=np.int64), "depth"),
              numpy_helper.from_array(np.array([-1.5, 2.0], dtype=np.float32), "values")]
    write_case(out, "onehot", [node("OneHot", ["i", "depth", "values"], ["y"], axis=1)],
               [("i", indices)], ["y"], 11, consts)
    # LayerNormalization without a bias, over the last two dimensions, with its statistics.
    write_case(out, "layer_norm", [
        node("LayerNormalization", ["x", "scale"], ["y", "mean", "inv"], axis=-2, epsilon=1e-3)],
        [("x", x), ("scale", uniform(0.5, 2, (4, 5)))], ["y", "mean", "inv"], 17)
    # ArgMax and ArgMin on ties and NaN, numpy's reference (ONNX's): the first extreme, or
    # the last with select_last_index (argmax of the flipped array); a NaN is the extreme.
    a = np.array([[1.0, 3.0, 3.0, -2.0, 3.0],
                  [np.nan, 0.5, np.nan, 7.0, -1.0],
                  [-np.inf, -np.inf, -np.inf, -np.inf, -np.inf],
                  [0.0, -0.0, 2.0, -5.0, -5.0]], dtype=np.float32)
    last = lambda f: a.shape[1] - 1 - f(a[:, ::-1], axis=1)
    write_case(out, "arg_ties", [
        node("ArgMax", ["a"], ["max_first"], axis=1, keepdims=0),
        node("ArgMax", ["a"], ["max_last"], axis=1, keepdims=0, select_last_index=1),
        node("ArgMin", ["a"], ["min_first"], axis=1, keepdims=0),
        node("ArgMin", ["a"], ["min_last"], axis=1, keepdims=0, select_last_index=1)],
        [("a", a)], ["max_first", "max_last", "min_first", "min_last"], 13,
        references=[("max_first", np.argmax(a, axis=1)), ("max_last", last(np.argmax)),
                    ("min_first", np.argmin(a, axis=1)), ("min_last", last(np.argmin))])
    # CumSum of int32 (exact), each direction, numpy's reference.
    c = RNG.integers(-50, 50, (3, 6)).astype(np.int32)
    axis = numpy_helper.from_array(np.array(1, dtype=np.int64), "axis")
    forward = np.cumsum(c, axis=1, dtype=np.int32)
    backward = np.flip(np.cumsum(np.flip(c, 1), axis=1, dtype=np.int32), 1)
    write_case(out, "cumsum_int", [
        node("CumSum", ["c", "axis"], ["fwd"]),
        node("CumSum", ["c", "axis"], ["fwd_excl"], exclusive=1),
        node("CumSum", ["c", "axis"], ["rev"], reverse=1),
        node("CumSum", ["c", "axis"], ["rev_excl"], exclusive=1, reverse=1)],
        [("c", c)], ["fwd", "fwd_excl", "rev", "rev_excl"], 14, [axis],
        references=[("fwd", forward), ("fwd_excl", forward - c), ("rev", backward),
                    ("rev_excl", backward - c)])
    # LRN with an even size (one channel more after than before) on a 3-D and a 5-D input;
    # ONNX Runtime refuses even sizes, so the reference is ONNX's definition, in float64.
    def lrn(x, size, alpha=1e-4, beta=0.75, bias=1.0):
        x64 = x.astype(np.float64)
        square_sum = np.zeros_like(x64)
        for c in range(x.shape[1]):
            lo, hi = max(0, c - (size - 1) // 2), min(x.shape[1], c + size // 2 + 1)
            square_sum[:, c] = np.sum(x64[:, lo:hi] ** 2, axis=1)
        return (x64 / (bias + alpha / size * square_sum) ** beta).astype(np.float32)
    a, b = uniform(-3, 3, (2, 6, 7)), uniform(-3, 3, (1, 3, 2, 3, 2))
    write_case(out, "lrn_even", [
        node("LRN", ["a"], ["y3"], size=4, alpha=0.5, beta=0.6, bias=1.5),
        node("LRN", ["b"], ["y5"], size=2)],
        [("a", a), ("b", b)], ["y3", "y5"], 13,
        references=[("y3", lrn(a, 4, 0.5, 0.6, 1.5)), ("y5", lrn(b, 2))])
    # Neg of signed integers is 0 - x; the minimum wraps to itself, as in numpy.
    for name, dtype in (("neg_int32", np.int32), ("neg_int64", np.int64)):
        info = np.iinfo(dtype)
        v = np.array([0, 1, -1, 123456, info.min, info.max, info.min + 1], dtype=dtype)
        with np.errstate(over="ignore"):
            negated = np.negative(v)
        write_case(out, name, [node("Neg", ["v"], ["n"])], [("v", v)], ["n"], 13,
                   references=[("n", negated)])


if __name__ == "__main__":
    main(sys.argv[1])
