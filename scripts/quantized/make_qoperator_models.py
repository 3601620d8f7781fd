#!/usr/bin/env python3
"""Writes small QOperator-form quantized models into OUT, one ONNX backend-test folder each
(model.onnx, test_data_set_0/input_<i>.pb, output_<i>.pb), with ONNX Runtime's outputs as the
reference (tools/ort-reference: ORT's CPU provider runs the com.microsoft contrib operators).

usage: make_qoperator_models.py OUT [--only NAME]...

Each model is one quantized operator, int8 or uint8, per-tensor or per-channel where the
operator allows it, plus a chain QLinearConv -> QLinearAdd -> QLinearGlobalAveragePool ->
Flatten -> QGemm. Weights, scales and zero points are initializers; the quantized input is a
graph input drawn from a seeded generator (seeded from the folder name). Output scales and zero
points come from the float range of the dequantized computation (numpy), so that the outputs
use most of the 8-bit range rather than saturating. info.json names the operator, types and
quantization granularity.

The models import opset 13 and com.microsoft 1 (the versions ORT's quantizer writes).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "compression"))
import common  # noqa: E402  (re-executes under Debian's python3 when this one lacks onnx)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

MS = "com.microsoft"
TYPES = {"u8": (np.uint8, TensorProto.UINT8, 0, 255), "s8": (np.int8, TensorProto.INT8, -128, 127)}


def qrange(kind):
    return TYPES[kind][2], TYPES[kind][3]


def params_for(lo, hi, kind):
    """Scale and zero point that map [lo, hi] (widened to hold 0, and by 5% on each side) onto
    the 8-bit range."""
    qmin, qmax = qrange(kind)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    lo, hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)
    scale = np.float32(max(hi - lo, 1e-3) / (qmax - qmin))
    zp = int(np.clip(round(qmin - lo / float(scale)), qmin, qmax))
    return scale, zp


def dequant(q, scale, zp, axis=None):
    q = q.astype(np.float64)
    scale = np.asarray(scale, np.float64)
    zp = np.asarray(zp, np.float64)
    if axis is not None and scale.ndim == 1:
        shape = [1] * q.ndim
        shape[axis] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return (q - zp) * scale


class Model:
    def __init__(self, name):
        self.name = name
        self.rng = common.rng_for(name)
        self.nodes, self.inits, self.inputs, self.input_values = [], [], [], []

    def random_q(self, shape, kind):
        qmin, qmax = qrange(kind)
        return self.rng.integers(qmin, qmax + 1, size=shape).astype(TYPES[kind][0])

    def input(self, name, shape, kind):
        value = self.random_q(shape, kind)
        self.inputs.append(helper.make_tensor_value_info(name, TYPES[kind][1], list(shape)))
        self.input_values.append(value)
        return name, value

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def scale_zp(self, prefix, scale, zp, kind):
        """Initializers for a scale (float32 scalar or 1-d) and zero point of `kind`."""
        scale = np.asarray(scale, np.float32)
        zp = np.asarray(zp).astype(TYPES[kind][0])
        return self.const(prefix + "_scale", scale), self.const(prefix + "_zero_point", zp)

    def node(self, op, inputs, outputs, domain="", **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0], domain=domain,
                                           **attrs))

    def build(self, out_dir, output, out_shape, out_type, info):
        graph = helper.make_graph(self.nodes, self.name, self.inputs,
                                  [helper.make_tensor_value_info(output, out_type, list(out_shape))],
                                  self.inits)
        model = helper.make_model(graph, producer_name="tinyc-qoperator",
                                  opset_imports=[helper.make_opsetid("", 13),
                                                 helper.make_opsetid(MS, 1)])
        model.ir_version = common.IR_VERSION
        folder = os.path.join(out_dir, self.name)
        got = common.write_folder(folder, model, self.input_values, info)
        ref = got[0][1]
        if tuple(ref.shape) != tuple(out_shape):
            raise RuntimeError("%s: ORT output shape %s, declared %s" % (self.name, ref.shape, out_shape))
        # A reference that is nearly constant or mostly saturated would let a wrong
        # computation pass: insist on a spread of values inside the range.
        distinct = len(np.unique(ref))
        if distinct < min(4, ref.size):
            raise RuntimeError("%s: only %d distinct output values" % (self.name, distinct))
        if ref.dtype in (np.int8, np.uint8):
            info_type = np.iinfo(ref.dtype)
            saturated = np.mean((ref == info_type.min) | (ref == info_type.max))
            if saturated > 0.25:
                raise RuntimeError("%s: %.0f%% of the outputs saturate" % (self.name, 100 * saturated))
        return ref


# ------------------------------------------------------------------ convolution and matmul

def conv_float(x, w, b, stride, pad, group):
    """NCHW convolution in float64 (numpy), for choosing output ranges."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for o in range(m):
        g = o // mg
        for i in range(oh):
            for j in range(ow):
                win = xp[:, g * cg:(g + 1) * cg, i * stride:i * stride + kh, j * stride:j * stride + kw]
                y[:, o, i, j] = (win * w[o]).sum(axis=(1, 2, 3))
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def add_qlinearconv(m, x_name, x_q, x_scale, x_zp, kind, wkind, cout, k, stride, pad, group,
                    per_channel, out):
    """A QLinearConv node on x; returns (name, quantized output as ORT would give it roughly:
    the float result, its scale and zero point)."""
    cin = x_q.shape[1]
    w_q = m.random_q((cout, cin // group, k, k), wkind)
    if per_channel:
        w_scale = (m.rng.uniform(0.5, 1.5, size=cout) * 0.02).astype(np.float32)
        w_zp = np.zeros(cout, np.int64) if wkind == "s8" else m.rng.integers(120, 136, size=cout)
    else:
        w_scale = np.float32(0.02)
        w_zp = 0 if wkind == "s8" else 128
    bias_scale = np.float32(x_scale) * np.asarray(w_scale, np.float32)
    b_q = m.rng.integers(-2000, 2000, size=cout).astype(np.int32)
    xf = dequant(x_q, x_scale, x_zp)
    wf = dequant(w_q, w_scale, w_zp, axis=0)
    yf = conv_float(xf, wf, b_q * bias_scale.astype(np.float64), stride, pad, group)
    y_scale, y_zp = params_for(yf.min(), yf.max(), kind)
    xs, xz = m.scale_zp(out + "_x", x_scale, x_zp, kind)
    ws, wz = m.scale_zp(out + "_w", w_scale, w_zp, wkind)
    ys, yz = m.scale_zp(out + "_y", y_scale, y_zp, kind)
    w_name = m.const(out + "_W", w_q)
    b_name = m.const(out + "_B", b_q)
    m.node("QLinearConv", [x_name, xs, xz, w_name, ws, wz, ys, yz, b_name], [out],
           kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4, group=group)
    return yf, y_scale, y_zp


def make_qlinearconv(out_dir, name, kind, wkind, per_channel, group=1, stride=1):
    m = Model(name)
    cin = 4 if group == 1 else group
    x_name, x_q = m.input("x", (1, cin, 9, 9), kind)
    x_scale, x_zp = np.float32(0.05), (3 if kind == "s8" else 131)
    cout = 6 if group == 1 else group
    yf, _, _ = add_qlinearconv(m, x_name, x_q, x_scale, x_zp, kind, wkind, cout, 3, stride, 1,
                               group, per_channel, "y")
    return m.build(out_dir, "y", yf.shape, TYPES[kind][1],
                   {"op": "QLinearConv", "x": kind, "w": wkind, "per_channel": per_channel,
                    "group": group, "stride": stride})


def make_qlinearmatmul(out_dir, name, kind, per_column):
    m = Model(name)
    a_name, a_q = m.input("a", (2, 5, 24), kind)
    a_scale, a_zp = np.float32(0.04), (-5 if kind == "s8" else 120)
    b_q = m.random_q((24, 7), kind)
    if per_column:
        b_scale = (m.rng.uniform(0.5, 1.5, size=7) * 0.01).astype(np.float32)
        b_zp = m.rng.integers(-3, 4, size=7) if kind == "s8" else m.rng.integers(125, 131, size=7)
    else:
        b_scale, b_zp = np.float32(0.01), (0 if kind == "s8" else 128)
    yf = dequant(a_q, a_scale, a_zp) @ dequant(b_q, b_scale, b_zp, axis=1)
    y_scale, y_zp = params_for(yf.min(), yf.max(), kind)
    as_, az = m.scale_zp("a", a_scale, a_zp, kind)
    bs, bz = m.scale_zp("b", b_scale, b_zp, kind)
    ys, yz = m.scale_zp("y", y_scale, y_zp, kind)
    m.node("QLinearMatMul", [a_name, as_, az, m.const("B", b_q), bs, bz, ys, yz], ["y"])
    return m.build(out_dir, "y", yf.shape, TYPES[kind][1],
                   {"op": "QLinearMatMul", "type": kind, "per_column": per_column})


def make_convinteger(out_dir, name, kind, wkind):
    m = Model(name)
    x_name, x_q = m.input("x", (1, 3, 8, 8), kind)
    w_q = m.random_q((4, 3, 3, 3), wkind)
    x_zp = np.array(7 if kind == "s8" else 128).astype(TYPES[kind][0])
    w_zp = np.array(-2 if wkind == "s8" else 127).astype(TYPES[wkind][0])
    m.node("ConvInteger", [x_name, m.const("W", w_q), m.const("x_zero_point", x_zp),
                           m.const("w_zero_point", w_zp)], ["y"],
           kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    return m.build(out_dir, "y", (1, 4, 4, 4), TensorProto.INT32,
                   {"op": "ConvInteger", "x": kind, "w": wkind})


def make_matmulinteger(out_dir, name, kind, wkind):
    m = Model(name)
    a_name, a_q = m.input("a", (3, 32), kind)
    b_q = m.random_q((32, 5), wkind)
    a_zp = np.array(-1 if kind == "s8" else 129).astype(TYPES[kind][0])
    b_zp = (np.array([0, 1, -1, 2, -2]) if wkind == "s8" else np.array([128, 127, 129, 126, 130]))
    m.node("MatMulInteger", [a_name, m.const("B", b_q), m.const("a_zero_point", a_zp),
                             m.const("b_zero_point", b_zp.astype(TYPES[wkind][0]))], ["y"])
    return m.build(out_dir, "y", (3, 5), TensorProto.INT32,
                   {"op": "MatMulInteger", "a": kind, "b": wkind, "b_zero_point": "per column"})


# ------------------------------------------------------------------ com.microsoft operators

def make_qlinear_binary(out_dir, name, op, kind):
    m = Model(name)
    a_name, a_q = m.input("a", (1, 4, 5, 6), kind)
    b_name, b_q = m.input("b", (4, 1, 6), kind)  # broadcast
    a_scale, a_zp = np.float32(0.03), (2 if kind == "s8" else 125)
    b_scale, b_zp = np.float32(0.05), (-4 if kind == "s8" else 130)
    af, bf = dequant(a_q, a_scale, a_zp), dequant(b_q, b_scale, b_zp)
    yf = af + bf if op == "QLinearAdd" else af * bf
    y_scale, y_zp = params_for(yf.min(), yf.max(), kind)
    as_, az = m.scale_zp("a", a_scale, a_zp, kind)
    bs, bz = m.scale_zp("b", b_scale, b_zp, kind)
    ys, yz = m.scale_zp("y", y_scale, y_zp, kind)
    m.node(op, [a_name, as_, az, b_name, bs, bz, ys, yz], ["y"], domain=MS)
    return m.build(out_dir, "y", yf.shape, TYPES[kind][1], {"op": op, "type": kind})


def make_qlinear_unary(out_dir, name, op, kind, y_range, **attrs):
    """Pools and activations: X, X_scale, X_zero_point, Y_scale, Y_zero_point."""
    m = Model(name)
    x_name, x_q = m.input("x", (1, 3, 7, 7), kind)
    x_scale, x_zp = np.float32(0.04), (-10 if kind == "s8" else 118)
    xf = dequant(x_q, x_scale, x_zp)
    lo, hi, shape = y_range(xf)
    y_scale, y_zp = params_for(lo, hi, kind)
    xs, xz = m.scale_zp("x", x_scale, x_zp, kind)
    ys, yz = m.scale_zp("y", y_scale, y_zp, kind)
    m.node(op, [x_name, xs, xz, ys, yz], ["y"], domain=MS, **attrs)
    return m.build(out_dir, "y", shape, TYPES[kind][1], dict({"op": op, "type": kind}, **attrs))


def make_qlinearconcat(out_dir, name, kind):
    m = Model(name)
    names, floats = [], []
    for i, (c, scale, zp) in enumerate([(2, 0.02, 10), (3, 0.05, -20), (1, 0.03, 0)]):
        zp = zp if kind == "s8" else zp + 128
        x_name, x_q = m.input("x%d" % i, (1, c, 4, 5), kind)
        s, z = m.scale_zp("x%d" % i, scale, zp, kind)
        names += [x_name, s, z]
        floats.append(dequant(x_q, scale, zp))
    yf = np.concatenate(floats, axis=1)
    y_scale, y_zp = params_for(yf.min(), yf.max(), kind)
    ys, yz = m.scale_zp("y", y_scale, y_zp, kind)
    m.node("QLinearConcat", [ys, yz] + names, ["y"], domain=MS, axis=1)
    return m.build(out_dir, "y", yf.shape, TYPES[kind][1], {"op": "QLinearConcat", "type": kind})


def add_qgemm(m, a_name, a_q, a_scale, a_zp, kind, bkind, n_out, per_column, trans_b, alpha,
              out, float_output=False):
    k = a_q.shape[1]
    b_q = m.random_q((n_out, k) if trans_b else (k, n_out), bkind)
    if per_column:
        b_scale = (m.rng.uniform(0.5, 1.5, size=n_out) * 0.01).astype(np.float32)
        b_zp = np.zeros(n_out, np.int64) if bkind == "s8" else np.full(n_out, 128)
    else:
        b_scale, b_zp = np.float32(0.01), (0 if bkind == "s8" else 128)
    c_q = m.rng.integers(-3000, 3000, size=n_out).astype(np.int32)
    bf = dequant(b_q, b_scale, b_zp, axis=0 if trans_b else 1)
    bf = bf.T if trans_b else bf
    c_scale = np.float64(alpha) * np.float32(a_scale) * np.asarray(b_scale, np.float64)
    yf = alpha * (dequant(a_q, a_scale, a_zp) @ bf) + c_q * c_scale
    as_, az = m.scale_zp(out + "_a", a_scale, a_zp, kind)
    bs, bz = m.scale_zp(out + "_b", b_scale, b_zp, bkind)
    inputs = [a_name, as_, az, m.const(out + "_B", b_q), bs, bz, m.const(out + "_C", c_q)]
    y_scale = y_zp = None
    if not float_output:
        y_scale, y_zp = params_for(yf.min(), yf.max(), kind)
        inputs += list(m.scale_zp(out + "_y", y_scale, y_zp, kind))
    m.node("QGemm", inputs, [out], domain=MS, transB=int(trans_b), alpha=float(alpha))
    return yf, y_scale, y_zp


def make_qgemm(out_dir, name, kind, bkind, per_column, trans_b, alpha, float_output=False):
    m = Model(name)
    a_name, a_q = m.input("a", (3, 20), kind)
    a_scale, a_zp = np.float32(0.05), (4 if kind == "s8" else 126)
    yf, _, _ = add_qgemm(m, a_name, a_q, a_scale, a_zp, kind, bkind, 6, per_column, trans_b,
                         alpha, "y", float_output)
    out_type = TensorProto.FLOAT if float_output else TYPES[kind][1]
    return m.build(out_dir, "y", yf.shape, out_type,
                   {"op": "QGemm", "a": kind, "b": bkind, "per_column": per_column,
                    "transB": trans_b, "alpha": alpha, "float_output": float_output})


def make_chain(out_dir, name, kind):
    """QLinearConv -> QLinearAdd (residual from the input) -> QLinearGlobalAveragePool ->
    Flatten -> QGemm."""
    m = Model(name)
    x_name, x_q = m.input("x", (1, 4, 8, 8), kind)
    x_scale, x_zp = np.float32(0.05), (0 if kind == "s8" else 128)
    cf, c_scale, c_zp = add_qlinearconv(m, x_name, x_q, x_scale, x_zp, kind, "s8", 4, 3, 1, 1, 1,
                                        True, "conv")
    af = cf + dequant(x_q, x_scale, x_zp)
    a_scale, a_zp = params_for(af.min(), af.max(), kind)
    cs, cz = m.scale_zp("add_c", c_scale, c_zp, kind)
    xs, xz = m.scale_zp("add_x", x_scale, x_zp, kind)
    ys, yz = m.scale_zp("add_y", a_scale, a_zp, kind)
    m.node("QLinearAdd", ["conv", cs, cz, x_name, xs, xz, ys, yz], ["add"], domain=MS)
    pf = af.mean(axis=(2, 3), keepdims=True)
    p_scale, p_zp = params_for(pf.min() - 0.5, pf.max() + 0.5, kind)
    as_, az = m.scale_zp("pool_x", a_scale, a_zp, kind)
    ps, pz = m.scale_zp("pool_y", p_scale, p_zp, kind)
    m.node("QLinearGlobalAveragePool", ["add", as_, az, ps, pz], ["pool"], domain=MS,
           channels_last=0)
    m.node("Flatten", ["pool"], ["flat"], axis=1)
    p_q = np.clip(np.round(pf.reshape(1, 4) / p_scale) + p_zp, *qrange(kind))
    yf, _, _ = add_qgemm(m, "flat", p_q, p_scale, p_zp, kind, "s8", 5, True, True, 1.0, "y")
    return m.build(out_dir, "y", (1, 5), TYPES[kind][1], {"op": "chain", "type": kind})


def pool_range(xf, k=3, s=2, p=1):
    oh = (xf.shape[2] + 2 * p - k) // s + 1
    return xf.min(), xf.max(), (1, 3, oh, oh)


MODELS = {
    "qlinearconv_u8_per_tensor": lambda o, n: make_qlinearconv(o, n, "u8", "u8", False),
    "qlinearconv_u8s8_per_channel": lambda o, n: make_qlinearconv(o, n, "u8", "s8", True, stride=2),
    "qlinearconv_s8_per_channel_depthwise": lambda o, n: make_qlinearconv(o, n, "s8", "s8", True, group=5),
    "qlinearmatmul_u8": lambda o, n: make_qlinearmatmul(o, n, "u8", False),
    "qlinearmatmul_s8_per_column": lambda o, n: make_qlinearmatmul(o, n, "s8", True),
    "convinteger_u8": lambda o, n: make_convinteger(o, n, "u8", "u8"),
    "convinteger_s8": lambda o, n: make_convinteger(o, n, "s8", "s8"),
    "matmulinteger_u8s8": lambda o, n: make_matmulinteger(o, n, "u8", "s8"),
    "qlinearadd_u8": lambda o, n: make_qlinear_binary(o, n, "QLinearAdd", "u8"),
    "qlinearadd_s8": lambda o, n: make_qlinear_binary(o, n, "QLinearAdd", "s8"),
    "qlinearmul_u8": lambda o, n: make_qlinear_binary(o, n, "QLinearMul", "u8"),
    "qlinearmul_s8": lambda o, n: make_qlinear_binary(o, n, "QLinearMul", "s8"),
    "qlinearaveragepool_u8": lambda o, n: make_qlinear_unary(
        o, n, "QLinearAveragePool", "u8", pool_range, kernel_shape=[3, 3], strides=[2, 2],
        pads=[1, 1, 1, 1], count_include_pad=0),
    "qlinearaveragepool_s8_include_pad": lambda o, n: make_qlinear_unary(
        o, n, "QLinearAveragePool", "s8", pool_range, kernel_shape=[3, 3], strides=[2, 2],
        pads=[1, 1, 1, 1], count_include_pad=1),
    "qlinearglobalaveragepool_s8": lambda o, n: make_qlinear_unary(
        o, n, "QLinearGlobalAveragePool", "s8",
        lambda xf: (xf.mean(axis=(2, 3)).min() - 0.2, xf.mean(axis=(2, 3)).max() + 0.2, (1, 3, 1, 1)),
        channels_last=0),
    "qlinearsigmoid_u8": lambda o, n: make_qlinear_unary(
        o, n, "QLinearSigmoid", "u8", lambda xf: (0.0, 1.0, xf.shape)),
    "qlinearsigmoid_s8": lambda o, n: make_qlinear_unary(
        o, n, "QLinearSigmoid", "s8", lambda xf: (0.0, 1.0, xf.shape)),
    "qlinearleakyrelu_s8": lambda o, n: make_qlinear_unary(
        o, n, "QLinearLeakyRelu", "s8",
        lambda xf: (0.1 * xf.min(), xf.max(), xf.shape), alpha=0.1),
    "qlinearleakyrelu_u8": lambda o, n: make_qlinear_unary(
        o, n, "QLinearLeakyRelu", "u8", lambda xf: (0.01 * xf.min(), xf.max(), xf.shape)),
    "qlinearconcat_u8": lambda o, n: make_qlinearconcat(o, n, "u8"),
    "qlinearconcat_s8": lambda o, n: make_qlinearconcat(o, n, "s8"),
    "qgemm_u8_per_tensor": lambda o, n: make_qgemm(o, n, "u8", "u8", False, False, 1.0),
    "qgemm_s8_per_column_transb_alpha": lambda o, n: make_qgemm(o, n, "s8", "s8", True, True, 0.5),
    "qgemm_u8s8_float_output": lambda o, n: make_qgemm(o, n, "u8", "s8", True, True, 1.0,
                                                        float_output=True),
    "chain_u8": lambda o, n: make_chain(o, n, "u8"),
    "chain_s8": lambda o, n: make_chain(o, n, "s8"),
}


def main(argv):
    out, chosen = common.parse_selection(argv, __doc__.splitlines()[0], MODELS, "model")
    for name in chosen:
        MODELS[name](out, name)
        print("%s: %d bytes" % (name, common.folder_bytes(os.path.join(out, name))))


if __name__ == "__main__":
    main(sys.argv[1:])
