#!/usr/bin/env python3
"""Small models whose operators the fusion passes merge, with ONNX Runtime
references: what each fusion rewrites must still compute the same outputs.

usage: make_fusion_models.py OUT

  conv_bn_relu      Conv 3x3 -> BatchNormalization -> Relu      (fold-batchnorm, fuse-ops)
  gemm_bn           Gemm -> BatchNormalization over features     (fold-batchnorm)
  lone_bn           BatchNormalization of an input                (fold-batchnorm: scale_shift)
  pad_conv_clip     Pad (zero, spatial) -> Conv -> Clip(0, 6)     (fuse-pad, fuse-ops)
  residual          Conv -> Add(input) -> Relu                    (fuse-ops: residual add)
  matmul_bias_tanh  MatMul -> Add(bias) -> Tanh                   (fuse-ops: bias add)
  qdq_chain         Q -> DQ -> Conv -> Q -> DQ -> AveragePool -> Q -> DQ   (fuse-quantize-pairs)
  transposes        Transpose -> Transpose (inverse) -> Sigmoid   (canonicalization)
  elementwise_tree  Mul, Add (broadcast constants), Relu, Sub of a second input, Greater, Where,
                    Tanh, Div, Max, Sigmoid, a Cast to int32 and back, values read twice and a
                    second output                                 (fuse-elementwise: several loops)
  long_chain        120 elementwise operations in a row (Add, Mul, Relu, Sub, Sigmoid with
                    constants of their own)                       (fuse-elementwise: max-ops loops)
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def tensor(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def bn_params(rng, prefix, channels):
    return [const(prefix + "_scale", rng.uniform(0.5, 2.0, channels).astype(np.float32) *
                  rng.choice([-1.0, 1.0], channels).astype(np.float32)),
            const(prefix + "_bias", rng.normal(0, 0.5, channels).astype(np.float32)),
            const(prefix + "_mean", rng.normal(0, 0.5, channels).astype(np.float32)),
            const(prefix + "_var", rng.uniform(0.2, 2.0, channels).astype(np.float32))]


def bn_node(prefix, x, y):
    return helper.make_node("BatchNormalization",
                            [x, prefix + "_scale", prefix + "_bias", prefix + "_mean", prefix + "_var"],
                            [y], name=prefix, epsilon=1e-3)


def build(name, rng):
    f32 = np.float32
    if name == "conv_bn_relu":
        w = rng.normal(0, 0.3, (8, 4, 3, 3)).astype(f32)
        nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
                 bn_node("bn", "c", "n"), helper.make_node("Relu", ["n"], ["y"], name="relu")]
        inits = [const("w", w)] + bn_params(rng, "bn", 8)
        graph = helper.make_graph(nodes, name, [tensor("x", [1, 4, 10, 10])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 1, (1, 4, 10, 10)).astype(f32)]
    if name == "gemm_bn":
        nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="gemm", transB=1, alpha=0.5),
                 bn_node("bn", "g", "y")]
        inits = [const("w", rng.normal(0, 0.3, (6, 12)).astype(f32)),
                 const("b", rng.normal(0, 0.3, (6,)).astype(f32))] + bn_params(rng, "bn", 6)
        graph = helper.make_graph(nodes, name, [tensor("x", [2, 12])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 1, (2, 12)).astype(f32)]
    if name == "lone_bn":
        graph = helper.make_graph([bn_node("bn", "x", "y")], name, [tensor("x", [1, 5, 4, 3])],
                                  [tensor("y", None)], bn_params(rng, "bn", 5))
        return graph, [rng.normal(0, 1, (1, 5, 4, 3)).astype(f32)]
    if name == "pad_conv_clip":
        nodes = [helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="constant"),
                 helper.make_node("Conv", ["p", "w", "b"], ["c"], name="conv", strides=[2, 1]),
                 helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip")]
        inits = [const("pads", np.array([0, 0, 2, 1, 0, 0, 1, 2], np.int64)),
                 const("w", rng.normal(0, 0.4, (3, 2, 3, 3)).astype(f32)),
                 const("b", rng.normal(0, 0.3, (3,)).astype(f32)),
                 const("lo", np.array(0.0, f32)), const("hi", np.array(6.0, f32))]
        graph = helper.make_graph(nodes, name, [tensor("x", [1, 2, 9, 8])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 2, (1, 2, 9, 8)).astype(f32)]
    if name == "residual":
        nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
                 helper.make_node("Add", ["c", "x"], ["s"], name="add"),
                 helper.make_node("Relu", ["s"], ["y"], name="relu")]
        inits = [const("w", rng.normal(0, 0.3, (4, 4, 3, 3)).astype(f32)),
                 const("b", rng.normal(0, 0.3, (4,)).astype(f32))]
        graph = helper.make_graph(nodes, name, [tensor("x", [1, 4, 6, 6])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 1, (1, 4, 6, 6)).astype(f32)]
    if name == "matmul_bias_tanh":
        nodes = [helper.make_node("MatMul", ["x", "w"], ["m"], name="matmul"),
                 helper.make_node("Add", ["m", "b"], ["s"], name="add"),
                 helper.make_node("Tanh", ["s"], ["y"], name="tanh")]
        inits = [const("w", rng.normal(0, 0.3, (16, 7)).astype(f32)),
                 const("b", rng.normal(0, 0.3, (7,)).astype(f32))]
        graph = helper.make_graph(nodes, name, [tensor("x", [3, 16])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 1, (3, 16)).astype(f32)]
    if name == "qdq_chain":
        def qdq(x, y, scale, zero, prefix):
            return [helper.make_node("QuantizeLinear", [x, prefix + "_s", prefix + "_z"], [prefix + "_q"],
                                     name=prefix + "_quantize"),
                    helper.make_node("DequantizeLinear", [prefix + "_q", prefix + "_s", prefix + "_z"], [y],
                                     name=prefix + "_dequantize")], \
                   [const(prefix + "_s", np.array(scale, f32)), const(prefix + "_z", np.array(zero, np.int8))]
        n1, i1 = qdq("x", "xq", 0.05, 3, "in")
        n2, i2 = qdq("c", "cq", 0.1, -10, "conv")
        n3, i3 = qdq("a", "y", 0.02, 0, "pool")
        nodes = n1 + [helper.make_node("Conv", ["xq", "w"], ["c"], name="conv", pads=[1, 1, 1, 1])] + n2 + \
            [helper.make_node("AveragePool", ["cq"], ["a"], name="pool", kernel_shape=[2, 2], strides=[2, 2])] + n3
        inits = i1 + i2 + i3 + [const("w", rng.normal(0, 0.3, (4, 3, 3, 3)).astype(f32))]
        graph = helper.make_graph(nodes, name, [tensor("x", [1, 3, 8, 8])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 2, (1, 3, 8, 8)).astype(f32)]
    if name == "transposes":
        nodes = [helper.make_node("Transpose", ["x"], ["t"], name="t1", perm=[0, 2, 3, 1]),
                 helper.make_node("Transpose", ["t"], ["u"], name="t2", perm=[0, 3, 1, 2]),
                 helper.make_node("Sigmoid", ["u"], ["y"], name="sigmoid")]
        graph = helper.make_graph(nodes, name, [tensor("x", [1, 3, 4, 5])], [tensor("y", None)])
        return graph, [rng.normal(0, 3, (1, 3, 4, 5)).astype(f32)]
    if name == "elementwise_tree":
        def n(op, ins, out, **attrs):
            return helper.make_node(op, ins, [out], name=out, **attrs)
        nodes = [n("Mul", ["x", "s"], "m"), n("Add", ["m", "b"], "a"), n("Relu", ["a"], "r"),
                 n("Add", ["a", "one"], "y2"),  # a is read twice: Relu and y2
                 n("Sub", ["r", "z"], "d"), n("Greater", ["d", "zero"], "g"),
                 n("Mul", ["d", "tenth"], "e"), n("Where", ["g", "d", "e"], "w"),
                 n("Tanh", ["w"], "t"), n("Div", ["t", "k"], "q"), n("Max", ["q", "floor"], "u"),
                 n("Mul", ["u", "ten"], "u10"), n("Cast", ["u10"], "i", to=TensorProto.INT32),
                 n("Cast", ["i"], "f", to=TensorProto.FLOAT), n("Add", ["f", "u"], "v"),
                 n("Sigmoid", ["v"], "y")]
        inits = [const("s", rng.uniform(0.5, 2, (8, 1, 1)).astype(f32)),
                 const("b", rng.normal(0, 0.5, (6,)).astype(f32)),
                 const("one", np.array(1.0, f32)), const("zero", np.array(0.0, f32)),
                 const("tenth", np.array(0.1, f32)), const("ten", np.array(10.0, f32)),
                 const("k", rng.uniform(0.5, 2, (1, 8, 1, 1)).astype(f32)),
                 const("floor", rng.normal(-0.3, 0.2, (6, 6)).astype(f32))]
        graph = helper.make_graph(nodes, name, [tensor("x", [1, 8, 6, 6]), tensor("z", [1, 8, 6, 6])],
                                  [tensor("y", None), tensor("y2", None)], inits)
        return graph, [rng.normal(0, 1, (1, 8, 6, 6)).astype(f32),
                       rng.normal(0, 1, (1, 8, 6, 6)).astype(f32)]
    if name == "long_chain":
        nodes, inits, x = [], [], "x"
        ops = ["Add", "Mul", "Relu", "Sub", "Sigmoid"]
        for k in range(120):
            op, out = ops[k % len(ops)], "v%d" % k if k < 119 else "y"
            if op in ("Relu", "Sigmoid"):
                nodes.append(helper.make_node(op, [x], [out], name=out))
            else:
                c = "c%d" % k
                scale = rng.uniform(0.5, 1.5, (40,)) if op == "Mul" else rng.normal(0, 0.5, (40,))
                inits.append(const(c, scale.astype(f32)))
                nodes.append(helper.make_node(op, [x, c], [out], name=out))
            x = out
        graph = helper.make_graph(nodes, name, [tensor("x", [2, 40])], [tensor("y", None)], inits)
        return graph, [rng.normal(0, 1, (2, 40)).astype(f32)]
    raise KeyError(name)


NAMES = ["conv_bn_relu", "gemm_bn", "lone_bn", "pad_conv_clip", "residual", "matmul_bias_tanh",
         "qdq_chain", "transposes", "elementwise_tree", "long_chain"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for name in NAMES:
        graph, inputs = build(name, common.rng_for(name))
        common.write_folder(os.path.join(out, name), common.make_model(graph), inputs)
        print(name)


if __name__ == "__main__":
    main()
