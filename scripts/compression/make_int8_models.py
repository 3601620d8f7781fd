#!/usr/bin/env python3
"""Small QDQ models whose islands tinyc-integer-islands rewrites into int8 operators, with ONNX
Runtime references (graph optimizations disabled: ORT computes each island in float with exact
fake quantization, the definition the integer kernels must match within one quantization step).

usage: make_int8_models.py OUT [--only NAME]...

  conv3x3_relu        Conv 3x3 pad 1, 8 -> 16 channels, per-channel int8 weights, Relu  (SMLAD words)
  conv_rgb_stride2    Conv 3x3 stride 2, 3 input channels (not a multiple of 4: bytes)
  depthwise           Conv 3x3 group = channels, Clip(0, 6)
  grouped_dilated     Conv 3x3 group 2 (4 channels each), dilation 2, asymmetric pads
  pointwise           Conv 1x1, 16 -> 8, per-tensor weights, no bias
  conv_uint8          Conv 3x3 on uint8 activations (zero point 128), uint8 output
  conv_1d             Conv 1-d, kernel 5, stride 2
  weight_zero_point   Conv with uint8 weights whose zero point is 128
  gemm_transb         Gemm (transB) with int32 bias, per-channel weights, Relu
  matmul              2-d MatMul with a constant int8 weight
  residual            Conv -> Add(Conv input) -> Relu: the residual add in integers
  avgpool             AveragePool 3x3 stride 2 pad 1 (count_include_pad 0 and 1) after a Conv
  global_pool_gemm    Conv -> GlobalAveragePool -> Flatten -> Gemm (transposes cancel)
  maxpool_reshape     MaxPool 2x2 -> Reshape, scales kept through both
  stays_float         Conv -> Softmax between a DequantizeLinear and a QuantizeLinear (no integer form)
  activation_tables   Sigmoid, Tanh, HardSwish, LeakyRelu, each alone in an island: 256-entry tables
  sub_mul             Sub and Mul of two quantized tensors of different scales
  concat_pad          Concat of inputs with different scales (requantized by tables), then a constant Pad
  sparse_pointwise    Conv 1x1, 16 -> 24, 92 % of the weights zero, one channel all zero; then a Gemm
                      with 90 % zero weights (straight-line code with immediate weights)
  depthwise_stride2   depthwise Conv 3x3 stride 2, asymmetric pads, 6 channels, input zero point -128
  depthwise_5x3_uint8 depthwise Conv 5x3 (odd row count), dilation (2, 1), uint8 activations
  depthwise_4x2       depthwise Conv 4x2 (even row count), strides (1, 2), border windows of one row
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


class Builder:
    """A QDQ graph under construction: float input, DequantizeLinear at the end."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, base):
        self.count += 1
        return "%s_%d" % (base, self.count)

    def const(self, array, base="c"):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def node(self, op, inputs, base=None, **attrs):
        out = self.name(base or op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def q(self, x, scale, zp, dtype=np.int8):
        return self.node("QuantizeLinear", [x, self.const(np.float32(scale), "s"),
                                            self.const(dtype(zp), "zp")])

    def dq(self, x, scale, zp, dtype=np.int8):
        return self.node("DequantizeLinear", [x, self.const(np.float32(scale), "s"),
                                              self.const(dtype(zp), "zp")])

    def qdq(self, x, scale, zp, dtype=np.int8):
        return self.dq(self.q(x, scale, zp, dtype), scale, zp, dtype)

    def weight(self, shape, per_channel=True, dtype=np.int8, zp=0):
        """DequantizeLinear of constant integer weights (axis 0 per channel); returns the float
        tensor's name and its scales."""
        lo, hi = (-127, 127) if dtype == np.int8 else (0, 255)
        q = self.rng.integers(lo, hi + 1, size=shape).astype(dtype)
        if per_channel:
            scale = self.rng.uniform(0.002, 0.01, shape[0]).astype(np.float32)
            zps = np.full(shape[0], zp, dtype=dtype)
            out = self.node("DequantizeLinear", [self.const(q, "w"), self.const(scale, "ws"),
                                                 self.const(zps, "wzp")], axis=0)
        else:
            scale = np.float32(self.rng.uniform(0.002, 0.01))
            out = self.node("DequantizeLinear", [self.const(q, "w"), self.const(scale, "ws"),
                                                 self.const(dtype(zp), "wzp")])
        return out, scale

    def bias(self, channels, x_scale, w_scale):
        """int32 bias with the accumulator's scale, dequantized."""
        s = (np.float32(x_scale) * np.asarray(w_scale, dtype=np.float32)).astype(np.float32)
        s = np.broadcast_to(s, (channels,)).astype(np.float32)
        b = self.rng.integers(-2000, 2000, size=channels).astype(np.int32)
        return self.node("DequantizeLinear", [self.const(b, "b"), self.const(s, "bs"),
                                              self.const(np.zeros(channels, np.int32), "bzp")],
                         axis=0)

    def conv(self, x, x_scale, cin, cout, kernel, group=1, bias=True, per_channel=True,
             wdtype=np.int8, wzp=0, **attrs):
        shape = [cout, cin // group] + list(kernel)
        w, ws = self.weight(shape, per_channel, wdtype, wzp)
        inputs = [x, w] + ([self.bias(cout, x_scale, ws)] if bias else [])
        return self.node("Conv", inputs, kernel_shape=list(kernel), group=group, **attrs)

    def model(self, name, inputs, output):
        def make(outputs):
            graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
            return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)],
                                     producer_name="tinyc make_int8_models.py")
        # The output's shape from ONNX's own shape inference.
        inferred = onnx.shape_inference.infer_shapes(
            make([helper.make_tensor_value_info(output, TensorProto.FLOAT, None)]))
        info = next(v for v in list(inferred.graph.value_info) + list(inferred.graph.output)
                    if v.name == output and v.type.tensor_type.HasField("shape"))
        return make([info])


def float_input(shape):
    return helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)


def build(name, rng):
    b = Builder(rng)
    x_scale = 0.02
    if name == "conv3x3_relu":
        shape = [1, 8, 9, 10]
        x = b.qdq("x", x_scale, 3)
        y = b.node("Relu", [b.conv(x, x_scale, 8, 16, [3, 3], pads=[1, 1, 1, 1])])
        out = b.qdq(y, 0.03, -128)
    elif name == "conv_rgb_stride2":
        shape = [1, 3, 11, 12]
        x = b.qdq("x", x_scale, -5)
        out = b.qdq(b.conv(x, x_scale, 3, 8, [3, 3], strides=[2, 2], pads=[1, 0, 1, 1]), 0.05, 7)
    elif name == "depthwise":
        shape = [1, 12, 8, 8]
        x = b.qdq("x", x_scale, 0)
        y = b.conv(x, x_scale, 12, 12, [3, 3], group=12, pads=[1, 1, 1, 1])
        y = b.node("Clip", [y, b.const(np.float32(0.0)), b.const(np.float32(0.5))])
        out = b.qdq(y, 0.004, -128)
    elif name == "depthwise_stride2":
        shape = [1, 6, 11, 10]
        x = b.qdq("x", x_scale, -128)
        y = b.conv(x, x_scale, 6, 6, [3, 3], group=6, strides=[2, 2], pads=[1, 0, 1, 1])
        out = b.qdq(b.node("Relu", [y]), 0.01, -128)
    elif name == "depthwise_5x3_uint8":
        shape = [1, 5, 12, 9]
        x = b.qdq("x", x_scale, 128, np.uint8)
        y = b.conv(x, x_scale, 5, 5, [5, 3], group=5, dilations=[2, 1], pads=[3, 1, 2, 0])
        out = b.qdq(y, 0.03, 120, np.uint8)
    elif name == "depthwise_4x2":
        shape = [1, 8, 9, 7]
        x = b.qdq("x", x_scale, 7)
        y = b.conv(x, x_scale, 8, 8, [4, 2], group=8, strides=[1, 2], pads=[2, 1, 1, 0])
        out = b.qdq(y, 0.03, -3)
    elif name == "grouped_dilated":
        shape = [1, 8, 10, 9]
        x = b.qdq("x", x_scale, 2)
        out = b.qdq(b.conv(x, x_scale, 8, 6, [3, 3], group=2, dilations=[2, 2],
                           pads=[2, 1, 0, 2]), 0.03, 0)
    elif name == "pointwise":
        shape = [1, 16, 5, 7]
        x = b.qdq("x", x_scale, -1)
        out = b.qdq(b.conv(x, x_scale, 16, 8, [1, 1], bias=False, per_channel=False), 0.04, 3)
    elif name == "conv_uint8":
        shape = [1, 4, 7, 7]
        x = b.qdq("x", x_scale, 128, np.uint8)
        out = b.qdq(b.conv(x, x_scale, 4, 8, [3, 3], pads=[1, 1, 1, 1]), 0.03, 120, np.uint8)
    elif name == "conv_1d":
        shape = [1, 8, 20]
        x = b.qdq("x", x_scale, 0)
        out = b.qdq(b.conv(x, x_scale, 8, 4, [5], strides=[2], pads=[2, 2]), 0.03, 0)
    elif name == "weight_zero_point":
        shape = [1, 4, 6, 6]
        x = b.qdq("x", x_scale, 0)
        out = b.qdq(b.conv(x, x_scale, 4, 4, [3, 3], wdtype=np.uint8, wzp=128, per_channel=False,
                           pads=[1, 1, 1, 1]), 0.05, 0)
    elif name == "gemm_transb":
        shape = [2, 24]
        x = b.qdq("x", x_scale, 0)
        w, ws = b.weight([10, 24], per_channel=True)
        y = b.node("Gemm", [x, w, b.bias(10, x_scale, ws)], transB=1)
        out = b.qdq(b.node("Relu", [y]), 0.02, -128)
    elif name == "matmul":
        shape = [3, 16]
        x = b.qdq("x", x_scale, 4)
        w, _ = b.weight([16, 8], per_channel=False)
        out = b.qdq(b.node("MatMul", [x, w]), 0.03, -2)
    elif name == "residual":
        shape = [1, 8, 6, 6]
        x = b.qdq("x", x_scale, 0)
        y = b.qdq(b.conv(x, x_scale, 8, 8, [3, 3], pads=[1, 1, 1, 1]), 0.03, 1)
        y = b.node("Relu", [b.node("Add", [y, x])])
        out = b.qdq(y, 0.04, -128)
    elif name == "avgpool":
        shape = [1, 4, 9, 9]
        x = b.qdq("x", x_scale, 0)
        y = b.qdq(b.conv(x, x_scale, 4, 8, [1, 1]), 0.03, -3)
        p0 = b.qdq(b.node("AveragePool", [y], kernel_shape=[3, 3], strides=[2, 2],
                          pads=[1, 1, 1, 1]), 0.02, -1)
        p1 = b.qdq(b.node("AveragePool", [y], kernel_shape=[3, 3], strides=[2, 2],
                          pads=[1, 1, 1, 1], count_include_pad=1), 0.02, -1)
        out = b.qdq(b.node("Add", [p0, p1]), 0.04, 0)
    elif name == "global_pool_gemm":
        shape = [1, 3, 8, 8]
        x = b.qdq("x", x_scale, 0)
        y = b.qdq(b.node("Relu", [b.conv(x, x_scale, 3, 16, [3, 3], pads=[1, 1, 1, 1])]), 0.03, -128)
        y = b.qdq(b.node("GlobalAveragePool", [y]), 0.02, -128)
        y = b.qdq(b.node("Flatten", [y]), 0.02, -128)
        w, ws = b.weight([16, 5], per_channel=False)
        out = b.qdq(b.node("Gemm", [y, w, b.bias(5, 0.02, ws)]), 0.05, 0)
    elif name == "maxpool_reshape":
        shape = [1, 8, 6, 6]
        x = b.qdq("x", x_scale, 0)
        y = b.qdq(b.conv(x, x_scale, 8, 8, [3, 3], pads=[1, 1, 1, 1]), 0.03, 5)
        y = b.qdq(b.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2]), 0.03, 5)
        out = b.qdq(b.node("Reshape", [y, b.const(np.array([1, 72], np.int64))]), 0.03, 5)
    elif name == "stays_float":
        shape = [1, 4, 5, 5]
        x = b.qdq("x", x_scale, 0)
        y = b.qdq(b.conv(x, x_scale, 4, 4, [3, 3], pads=[1, 1, 1, 1]), 0.03, 0)
        out = b.qdq(b.node("Softmax", [y], axis=1), 1.0 / 256, -128)
    elif name == "activation_tables":
        shape = [1, 8, 6, 6]
        x = b.qdq("x", x_scale, 0)
        y = b.qdq(b.conv(x, x_scale, 8, 8, [3, 3], pads=[1, 1, 1, 1]), 0.03, 2)
        y = b.qdq(b.node("Sigmoid", [y]), 1.0 / 256, -128)
        y = b.qdq(b.node("Tanh", [y]), 1.0 / 128, 0)
        y = b.qdq(b.node("HardSwish", [y]), 0.005, -20)
        out = b.qdq(b.node("LeakyRelu", [y], alpha=0.1), 0.004, 10, np.uint8)
    elif name == "sub_mul":
        shape = [1, 4, 5, 5]
        x = b.qdq("x", x_scale, 0)
        y = b.qdq(b.conv(x, x_scale, 4, 4, [3, 3], pads=[1, 1, 1, 1]), 0.03, 4)
        d = b.qdq(b.node("Sub", [y, x]), 0.035, -3)
        out = b.qdq(b.node("Mul", [d, y]), 0.05, 0)
    elif name == "concat_pad":
        shape = [1, 4, 5, 5]
        x = b.qdq("x", x_scale, 0)
        y = b.qdq(b.conv(x, x_scale, 4, 4, [3, 3], pads=[1, 1, 1, 1]), 0.03, 4)
        c = b.qdq(b.node("Concat", [x, y], axis=1), 0.025, 1)
        out = b.qdq(b.node("Pad", [c, b.const(np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)),
                                   b.const(np.float32(0.3))]), 0.025, 1)
    elif name == "sparse_pointwise":
        shape = [1, 16, 4, 5]
        x = b.qdq("x", x_scale, 5)
        w, ws = b.weight([24, 16, 1, 1])
        wq = numpy_helper.to_array(b.inits[-3]).copy()
        wq[rng.random(wq.shape) < 0.92] = 0
        wq[3] = 0
        b.inits[-3] = numpy_helper.from_array(wq, b.inits[-3].name)
        y = b.node("Conv", [x, w, b.bias(24, x_scale, ws)], kernel_shape=[1, 1])
        y = b.qdq(b.node("Relu", [y]), 0.03, -128)
        y = b.qdq(b.node("Flatten", [y]), 0.03, -128)
        g, gs = b.weight([10, 480])
        gq = numpy_helper.to_array(b.inits[-3]).copy()
        gq[rng.random(gq.shape) < 0.9] = 0
        b.inits[-3] = numpy_helper.from_array(gq, b.inits[-3].name)
        out = b.qdq(b.node("Gemm", [y, g, b.bias(10, 0.03, gs)], transB=1), 0.05, 0)
    else:
        raise ValueError(name)
    model = b.model(name, [float_input(shape)], out)
    data = rng.normal(0.0, 1.0, size=shape).astype(np.float32)
    return model, [data]


NAMES = ["conv3x3_relu", "conv_rgb_stride2", "depthwise", "grouped_dilated", "pointwise",
         "conv_uint8", "conv_1d", "weight_zero_point", "gemm_transb", "matmul", "residual",
         "avgpool", "global_pool_gemm", "maxpool_reshape", "stays_float", "activation_tables",
         "sub_mul", "concat_pad", "sparse_pointwise", "depthwise_stride2", "depthwise_5x3_uint8",
         "depthwise_4x2"]


def main(argv):
    out, chosen = common.parse_selection(argv, "int8 QDQ test models", NAMES, "model")
    for i, name in enumerate(NAMES):
        if name not in chosen:
            continue
        rng = np.random.default_rng(1000 + i)
        model, inputs = build(name, rng)
        common.write_folder(os.path.join(out, name), model, inputs, {"model": name})
        print("wrote", name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
