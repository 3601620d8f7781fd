#!/usr/bin/env python3
"""Writes the backend-test folders of rounding-ties.test: models whose every rounding to an
integer meets exact .5 ties and the floats next to them, with hand-computed expected outputs.

usage: make_rounding_models.py OUT_DIR [--ort]

OUT_DIR/ties      the float input x (1x1x1xN), and xz (1x2x1xN: x and zeros); each output rounds x through another part of the
                  compiler (see OUTPUTS): QuantizeLinear's lowering, a standalone fake
                  quantization (QuantizeLinear -> DequantizeLinear) and fake quantization fused
                  into the epilogue of Mul, Conv, MatMul and AveragePool.
OUT_DIR/folded    no input: QuantizeLinear of a constant, which tinyc folds at compile time
                  (QuantizeOp::fold), alone and followed by DequantizeLinear.

The expected outputs come from ROUNDED below, a table of roundeven(x) written by hand for
every x, and from each output's clamp and scale, which are exact in float. Before writing
anything the script checks that table against numpy's rint (round half to even in the default
rounding mode), so that a slip in the hand table cannot pass silently; numpy is not the code
under test. --ort also checks every expected output against ONNX Runtime (tools/ort-reference;
not used by the test, which must not need ONNX Runtime).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = np.float32


def hexf(text):
    return F32(float.fromhex(text))


# x -> roundeven(x), by hand. Ties go to the even neighbour; the floats next to a tie (one ulp
# below and above, written in hex) go to the nearer integer. Halves up to 254.5 cover the
# int8 and uint8 ranges with their zero points; ulp(0.5) below is 2^-25, above 2^-24.
ROUNDED = [
    (0.5, 0.0), (1.5, 2.0), (2.5, 2.0), (3.5, 4.0), (4.5, 4.0), (5.5, 6.0),
    (-0.5, -0.0), (-1.5, -2.0), (-2.5, -2.0), (-3.5, -4.0), (-4.5, -4.0), (-5.5, -6.0),
    (hexf("0x1.fffffep-2"), 0.0),    # 0.49999997 = 0.5 - 2^-25
    (hexf("0x1.000002p-1"), 1.0),    # 0.50000006 = 0.5 + 2^-24
    (hexf("0x1.7ffffep+0"), 1.0),    # 1.4999999 = 1.5 - 2^-23
    (hexf("0x1.800002p+0"), 2.0),    # 1.5000001 = 1.5 + 2^-23
    (hexf("0x1.3ffffep+1"), 2.0),    # 2.4999998 = 2.5 - 2^-22
    (hexf("0x1.400002p+1"), 3.0),    # 2.5000002 = 2.5 + 2^-22
    (hexf("-0x1.fffffep-2"), -0.0),  # -0.49999997
    (hexf("-0x1.000002p-1"), -1.0),  # -0.50000006
    (hexf("-0x1.7ffffep+0"), -1.0),  # -1.4999999
    (hexf("-0x1.800002p+0"), -2.0),  # -1.5000001
    (hexf("-0x1.3ffffep+1"), -2.0),  # -2.4999998
    (hexf("-0x1.400002p+1"), -3.0),  # -2.5000002
    (0.0, 0.0), (1.0, 1.0), (-1.0, -1.0), (0.25, 0.0), (-0.75, -1.0),
    (124.5, 124.0), (125.5, 126.0), (126.5, 126.0), (127.5, 128.0),
    (-126.5, -126.0), (-127.5, -128.0), (-128.5, -128.0), (-129.5, -130.0),
    (252.5, 252.0), (253.5, 254.0), (254.5, 254.0),
]

# name, the ops between x and the quantization, scale, zero point, quantized type, dequantized?
# Every producer computes x exactly (times 1 or 2; the scale 2 then divides the 2 back out), so
# each output rounds the same x / scale = x as ROUNDED lists.
OUTPUTS = [
    ("q_int8", None, 1.0, 0, TensorProto.INT8, False),         # QuantizeLowering
    ("q_int8_zp1", None, 1.0, 1, TensorProto.INT8, False),     # zero point added after rounding
    ("q_uint8_zp3", None, 1.0, 3, TensorProto.UINT8, False),
    ("fq", None, 1.0, -3, TensorProto.INT8, True),             # FakeQuantLowering (applyFakeQuant)
    ("fq_mul", "mul", 2.0, 5, TensorProto.INT8, True),         # Mul's epilogue (Elementwise.cpp)
    ("fq_binary_conv", "binary_conv", 2.0, 128, TensorProto.UINT8, True),  # a +-alpha Conv (Binary.cpp)
    ("fq_conv", "conv", 2.0, -2, TensorProto.INT8, True),      # a dense Conv's epilogue (Conv.cpp)
    ("fq_matmul", "matmul", 2.0, 1, TensorProto.INT8, True),   # MatMul's epilogue
    ("fq_pool", "pool", 1.0, -1, TensorProto.INT8, True),      # AveragePool's epilogue
]

RANGES = {TensorProto.INT8: (-128, 127, np.int8), TensorProto.UINT8: (0, 255, np.uint8)}


def expected(rounded, scale, zero_point, qtype, dequantize):
    """ONNX: q = saturate(roundeven(x / scale) + zero_point); DequantizeLinear: (q - zp) * scale."""
    lo, hi, dtype = RANGES[qtype]
    q = np.clip(rounded + zero_point, lo, hi)
    if not dequantize:
        return q.astype(dtype)
    return ((q - zero_point) * scale).astype(F32)


def check_table():
    xs = np.array([x for x, _ in ROUNDED], dtype=F32)
    hand = np.array([r for _, r in ROUNDED], dtype=F32)
    if len(set(xs.tolist())) != len(xs):
        sys.exit("make_rounding_models.py: ROUNDED lists an x twice")
    bad = np.flatnonzero(np.rint(xs) != hand)
    if bad.size:
        sys.exit("make_rounding_models.py: the hand table disagrees with numpy's rint at x = %s"
                 % ", ".join(repr(float(xs[i])) for i in bad))
    return xs, hand


def const(name, array):
    return helper.make_node("Constant", [], [name], name=name,
                            value=numpy_helper.from_array(np.asarray(array), name))


def quant_params(prefix, scale, zero_point, qtype):
    dtype = RANGES[qtype][2]
    return [const(prefix + "_scale", np.array(scale, dtype=F32)),
            const(prefix + "_zp", np.array(zero_point, dtype=dtype))]


def ties_model(n):
    nodes = []
    outputs = []
    shape = [1, 1, 1, n]
    for name, producer, scale, zero_point, qtype, dequantize in OUTPUTS:
        src = "x"
        if producer == "mul":
            nodes += [const(name + "_two", np.array(2.0, dtype=F32)),
                      helper.make_node("Mul", ["x", name + "_two"], [name + "_pre"], name=name + "_mul")]
        elif producer == "binary_conv":
            # one weight is +-alpha: tinyc-pack-binary-weights makes it a binary_conv
            nodes += [const(name + "_w", np.full((1, 1, 1, 1), 2.0, dtype=F32)),
                      helper.make_node("Conv", ["x", name + "_w"], [name + "_pre"], name=name + "_conv")]
        elif producer == "conv":
            # two input channels, x and zeros, weights (2, 3): 2 * x + 3 * 0, exact; weights of two
            # magnitudes, none zero, keep it dense (neither a binary nor a sparse convolution)
            nodes += [const(name + "_w", np.array([[[[2.0]], [[3.0]]]], dtype=F32)),
                      helper.make_node("Conv", ["xz", name + "_w"], [name + "_pre"], name=name + "_conv")]
        elif producer == "matmul":
            nodes += [const(name + "_w", 2.0 * np.eye(n, dtype=F32)),
                      helper.make_node("MatMul", ["x", name + "_w"], [name + "_pre"], name=name + "_matmul")]
        elif producer == "pool":
            nodes += [helper.make_node("AveragePool", ["x"], [name + "_pre"], name=name + "_pool",
                                       kernel_shape=[1, 1])]
        if producer:
            src = name + "_pre"
        nodes += quant_params(name, scale, zero_point, qtype)
        q_out = name if not dequantize else name + "_q"
        nodes.append(helper.make_node("QuantizeLinear", [src, name + "_scale", name + "_zp"], [q_out],
                                      name=name + "_quantize"))
        if dequantize:
            nodes.append(helper.make_node("DequantizeLinear", [q_out, name + "_scale", name + "_zp"],
                                          [name], name=name + "_dequantize"))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT if dequantize else qtype,
                                                     shape))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape),
              helper.make_tensor_value_info("xz", TensorProto.FLOAT, [1, 2, 1, n])]
    graph = helper.make_graph(nodes, "rounding_ties", inputs, outputs)
    return graph


def folded_model(xs):
    """QuantizeLinear of the constant xs (int8, zero point 1), and the same dequantized."""
    n = len(xs)
    nodes = [const("c", xs)] + quant_params("k", 1.0, 1, TensorProto.INT8)
    nodes += [helper.make_node("QuantizeLinear", ["c", "k_scale", "k_zp"], ["folded_q"], name="folded_q"),
              helper.make_node("DequantizeLinear", ["folded_q", "k_scale", "k_zp"], ["folded_fq"],
                               name="folded_fq")]
    outputs = [helper.make_tensor_value_info("folded_q", TensorProto.INT8, [n]),
               helper.make_tensor_value_info("folded_fq", TensorProto.FLOAT, [n])]
    return helper.make_graph(nodes, "rounding_folded", [], outputs)


def save(folder, graph, inputs, outputs):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="make_rounding_models.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for i, (name, array) in enumerate(inputs):
        with open(os.path.join(data, "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())
    for i, (name, array) in enumerate(outputs):
        with open(os.path.join(data, "output_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())
    return model


def ort_check(model, inputs, outputs):
    here = os.path.dirname(os.path.realpath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "..", "tools", "ort-reference"))
    import ort_reference
    got = ort_reference.run_model(model, dict(inputs))
    for (name, want), (_, have) in zip(outputs, got):
        have = np.asarray(have)
        if have.dtype != want.dtype or not np.array_equal(have, want):
            sys.exit("make_rounding_models.py: ONNX Runtime's %s differs from the hand-computed one:\n"
                     "  ORT  %s\n  hand %s" % (name, have.reshape(-1), want.reshape(-1)))
        print("ONNX Runtime agrees on %s" % name)


def main():
    out = sys.argv[1]
    xs, hand = check_table()
    n = len(xs)
    xz = np.stack([xs, np.zeros_like(xs)]).reshape(1, 2, 1, n)
    ties_in = [("x", xs.reshape(1, 1, 1, n)), ("xz", xz)]
    ties_out = [(o[0], expected(hand, *o[2:]).reshape(1, 1, 1, n)) for o in OUTPUTS]
    folded_out = [("folded_q", expected(hand, 1.0, 1, TensorProto.INT8, False)),
                  ("folded_fq", expected(hand, 1.0, 1, TensorProto.INT8, True))]
    models = [(os.path.join(out, "ties"), ties_model(n), ties_in, ties_out),
              (os.path.join(out, "folded"), folded_model(xs), [], folded_out)]
    for folder, graph, inputs, outputs in models:
        model = save(folder, graph, inputs, outputs)
        if "--ort" in sys.argv[2:]:
            ort_check(model, inputs, outputs)


if __name__ == "__main__":
    main()
