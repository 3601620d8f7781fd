#!/usr/bin/env python3
"""Writes BinaryNet / XNOR-Net style networks into OUT, one backend-test folder each, and a
float twin of each.

usage: make_binary_nets.py OUT [--only NAME]...

The binary layers hold weights +-1 (BinaryNet, Courbariaux et al. 2016) or +-alpha_m, one
alpha per output channel (XNOR-Net, Rastegari et al. 2016), stored as ordinary float32 ONNX
initializers; a BatchNormalization followed by Sign binarizes the activations, so a layer whose
input comes from Sign multiplies +-1 by +-1 and can run as XNOR + popcount.

  binary_mlp              x[1,256] -> Gemm(+-1, transB) 256->128 -> BN -> Sign
                          -> Gemm(+-1) 128->96 -> BN -> Sign -> Gemm(+-1) 96->10 -> y
  binary_cnn_c32/64/96    x[1,3,16,16] -> Conv3x3 pad1 (+-alpha, real input) -> BN -> Sign
                          -> Conv3x3 pad1 (+-1) -> BN -> Sign -> MaxPool 2 -> Conv3x3 (+-alpha)
                          -> BN -> Sign -> Flatten -> Gemm(+-1) -> y[1,10]
                          (C channels in every Conv: 32, 64 and 96 straddle 32- and 64-bit words)
  binary_mlp_sign_zero,   the same nets built so that some Sign inputs are exactly 0, where ONNX
  binary_cnn_c64_sign_zero  Sign gives 0, not +-1: see exact_bn() and the designed inputs below
  <name>_float            the twin: every +-1 / +-alpha weight replaced by random floats of the
                          same shape and scale (N(0,1), N(0,alpha^2)); all else, inputs included,
                          unchanged

BatchNormalization holds random parameters, some scales negative (which flips the comparison the
Sign makes), so it acts as the per-channel thresholds of a binary network. Inputs are seeded
random normal values (integers for the sign_zero nets). info.json lists each layer (weight
kind, shape, whether its input comes from Sign, float32 weight bytes against packed bits plus
alphas, MACs) and, from an ONNX Runtime run of the net with its Sign inputs exposed, how many of
each Sign's outputs are +1, -1 and 0.
"""

import os
import sys

# common first: it re-executes under Debian's python3 when this one lacks numpy and onnx.
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import common  # noqa: E402
from common import ort_reference  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

# The sign_zero nets' BatchNormalization must give exactly 0 when its input equals its mean,
# whatever order an implementation evaluates scale * (x - mean) / sqrt(var + eps) + B in
# (ORT folds it into x * s + (B - mean * s)). With B = 0, var + eps a power of 4 (so the square
# root is an exact power of 2), a dyadic scale and x, mean on a dyadic grid, every step is exact.
EXACT_EPS = 2.0 ** -16


class Net:
    """Accumulates nodes, initializers and the per-layer description of one network."""

    def __init__(self, name, rng, input_shape, exact):
        self.name, self.rng, self.input_shape, self.exact = name, rng, input_shape, exact
        self.nodes, self.inits, self.layers, self.signs = [], [], [], []

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array, np.float32), name))
        return name

    def binary_weight(self, name, shape, alpha=None):
        """+-1 weights, or +-alpha[m] for output channel m."""
        signs = self.rng.choice([-1.0, 1.0], size=shape)
        scale = np.ones(shape[0]) if alpha is None else alpha
        w = signs * scale.reshape([-1] + [1] * (len(shape) - 1))
        return self.init(name, w), w

    def layer(self, op, name, inputs, output, weight, alpha, from_sign, macs, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=name, **attrs))
        size = int(weight.size)
        self.layers.append({
            "node": name, "op": op, "weight": inputs[1], "shape": list(weight.shape),
            "weights": "+-1" if alpha is None else "+-alpha", "input_from_sign": from_sign, "macs": macs,
            "weight_bytes_float32": 4 * size,
            # one bit a weight, plus the float alphas
            "weight_bytes_packed": (size + 7) // 8 + (0 if alpha is None else 4 * len(alpha))})

    def batchnorm_sign(self, tag, x, channels, pre_std, exact_means=None):
        """BatchNormalization(x) -> Sign. PRE_STD: rough spread of x, to put the thresholds where x
        lives. The exact nets give EXACT_MEANS, chosen on x's grid so that x == mean happens."""
        rng = self.rng
        if self.exact:
            scale = rng.choice([0.5, 1.0, 2.0], size=channels) * rng.choice([-1.0, 1.0], p=[0.3, 0.7], size=channels)
            var = rng.choice([1.0, 4.0, 16.0], size=channels) - EXACT_EPS
            bias = np.zeros(channels)
            mean = exact_means
            eps = EXACT_EPS
            for v in (scale, var, mean):
                assert np.array_equal(v.astype(np.float32).astype(np.float64), v)
        else:
            scale = rng.uniform(0.5, 2.0, size=channels) * rng.choice([-1.0, 1.0], p=[0.3, 0.7], size=channels)
            var = rng.uniform(0.5, 2.0, size=channels) * pre_std ** 2
            bias = rng.normal(0, 0.5, size=channels)
            mean = rng.normal(0, 0.3 * pre_std, size=channels)
            eps = 1e-5
        names = [self.init("%s.%s" % (tag, k), v) for k, v in
                 (("scale", scale), ("bias", bias), ("mean", mean), ("var", var))]
        bn_out, sign_out = tag + "_out", "sign" + tag[2:] + "_out"
        self.nodes.append(helper.make_node("BatchNormalization", [x] + names, [bn_out], name=tag, epsilon=eps))
        self.nodes.append(helper.make_node("Sign", [bn_out], [sign_out], name="sign" + tag[2:]))
        self.signs.append({"node": "sign" + tag[2:], "input": bn_out})
        return sign_out

    def model(self, output="y", output_shape=None):
        """The net built so far, OUTPUT its graph output (earlier ones: for the exact nets' design)."""
        graph = helper.make_graph(
            list(self.nodes), self.name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, self.input_shape)],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape)], list(self.inits))
        return common.make_model(graph)


def float_twin(model, layers, rng):
    """MODEL with each layer's +-1 / +-alpha weight replaced by N(0, 1) * |w|: random floats of
    the same shape and per-channel scale; every other initializer is the binary net's."""
    twin = onnx.ModelProto()
    twin.CopyFrom(model)
    twin.graph.name = model.graph.name + "_float"
    weights = {l["weight"] for l in layers}
    for t in twin.graph.initializer:
        if t.name in weights:
            w = numpy_helper.to_array(t).astype(np.float64)
            t.CopyFrom(numpy_helper.from_array((rng.standard_normal(w.shape) * np.abs(w)).astype(np.float32), t.name))
    return twin


def probe(model, names, inputs):
    """ONNX Runtime's values of the tensors NAMES: the model with them added as graph outputs."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    types = {v.name: v for v in inferred.graph.value_info}
    present = {o.name for o in m.graph.output}
    m.graph.output.extend(types[n] for n in names if n not in present)
    got = dict(ort_reference.run_model(m, inputs))
    return [got[n] for n in names]


def mode_per_channel(values, axis=1):
    """The most frequent value of each channel (values on an exact grid)."""
    moved = np.moveaxis(values, axis, 0).reshape(values.shape[axis], -1)
    out = []
    for row in moved:
        vals, counts = np.unique(row, return_counts=True)
        out.append(vals[np.argmax(counts)])
    return np.array(out, np.float64)


# ---------------------------------------------------------------- the MLP

def build_mlp(name, exact=False):
    rng = common.rng_for(name)
    sizes = [256, 128, 96, 10]
    if exact:
        # Integers in -2..2, a third of them 0: the first Gemm's outputs are then exact integers.
        x = rng.choice([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0], size=(1, 256)).astype(np.float32)
    else:
        x = rng.standard_normal((1, 256)).astype(np.float32)
    net = Net(name, rng, [1, 256], exact)
    prev, from_sign, in_std = "x", False, float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        wname, w = net.binary_weight("fc%d.weight" % i, (n_out, n_in))
        out = "fc%d_out" % i if i < len(sizes) - 1 else "y"
        net.layer("Gemm", "fc%d" % i, [prev, wname], out, w, None, from_sign, n_in * n_out, transB=1)
        if i == len(sizes) - 1:
            break
        pre_std = in_std * np.sqrt(n_in)
        zero_means = None
        if exact:
            # Means equal to the pre-activation of every other neuron: those Sign inputs are 0.
            pre = probe(net.model(out, [1, n_out]), [out], [x])[0].ravel().astype(np.float64)
            zero_means = np.round(rng.normal(0, 0.3 * pre_std, size=n_out))
            zero_means[::2] = pre[::2]
        prev = net.batchnorm_sign("bn%d" % i, out, n_out, pre_std, zero_means)
        from_sign, in_std = True, 1.0
    return net.model("y", [1, 10]), [x], net


# ---------------------------------------------------------------- the CNN

def build_cnn(name, channels, exact=False):
    rng = common.rng_for(name)
    c = channels
    if exact:
        # Integers in -2..2 with a 6x6 patch of zeros in every input channel: the first Conv has
        # no bias, so its output is exactly 0 wherever the 3x3 window sees only the patch.
        x = rng.integers(-2, 3, size=(1, 3, 16, 16)).astype(np.float32)
        x[:, :, 4:10, 6:12] = 0
        alpha1 = rng.choice([0.125, 0.25, 0.5], size=c)
        alpha3 = rng.choice([0.0625, 0.125, 0.25], size=c)
    else:
        x = rng.standard_normal((1, 3, 16, 16)).astype(np.float32)
        alpha1 = rng.uniform(0.05, 0.5, size=c)
        alpha3 = rng.uniform(0.02, 0.2, size=c)
    alpha1, alpha3 = alpha1.astype(np.float32).astype(np.float64), alpha3.astype(np.float32).astype(np.float64)
    net = Net(name, rng, [1, 3, 16, 16], exact)
    in_std = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))

    def zero_means(out, shape, grid, zero_channels):
        """Means for the exact net: the most frequent pre-activation of the channels in
        ZERO_CHANNELS (so x == mean there), half a grid step off it elsewhere (never hit)."""
        pre = probe(net.model(out, shape), [out], [x])[0].astype(np.float64)
        modes = mode_per_channel(pre)
        means = modes + 0.5 * grid
        means[zero_channels] = modes[zero_channels]
        return means

    w1n, w1 = net.binary_weight("conv1.weight", (c, 3, 3, 3), alpha1)
    net.layer("Conv", "conv1", ["x", w1n], "conv1_out", w1, alpha1, False, c * 27 * 16 * 16,
              kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    zm = None
    if exact:
        # Half the channels threshold at 0, which the zero patch hits; the others at their mode.
        zm = zero_means("conv1_out", [1, c, 16, 16], alpha1, np.arange(c) % 2 == 1)
        zm[::2] = 0.0
    s1 = net.batchnorm_sign("bn1", "conv1_out", c, in_std * np.sqrt(27) * alpha1.mean(), zm)

    w2n, w2 = net.binary_weight("conv2.weight", (c, c, 3, 3))
    net.layer("Conv", "conv2", [s1, w2n], "conv2_out", w2, None, True, c * c * 9 * 16 * 16,
              kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    zm = zero_means("conv2_out", [1, c, 16, 16], np.ones(c), np.arange(c) % 2 == 0) if exact else None
    s2 = net.batchnorm_sign("bn2", "conv2_out", c, np.sqrt(9 * c), zm)
    net.nodes.append(helper.make_node("MaxPool", [s2], ["pool_out"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))

    w3n, w3 = net.binary_weight("conv3.weight", (c, c, 3, 3), alpha3)
    net.layer("Conv", "conv3", ["pool_out", w3n], "conv3_out", w3, alpha3, True, c * c * 9 * 6 * 6,
              kernel_shape=[3, 3])
    zm = zero_means("conv3_out", [1, c, 6, 6], alpha3, np.arange(c) % 2 == 0) if exact else None
    s3 = net.batchnorm_sign("bn3", "conv3_out", c, np.sqrt(9 * c) * alpha3.mean(), zm)
    net.nodes.append(helper.make_node("Flatten", [s3], ["flat_out"], name="flatten", axis=1))

    w4n, w4 = net.binary_weight("fc.weight", (10, c * 36))
    net.layer("Gemm", "fc", ["flat_out", w4n], "y", w4, None, True, 10 * c * 36, transB=1)
    return net.model("y", [1, 10]), [x], net


MODELS = {
    "binary_mlp": lambda name: build_mlp(name),
    "binary_mlp_sign_zero": lambda name: build_mlp(name, exact=True),
    "binary_cnn_c32": lambda name: build_cnn(name, 32),
    "binary_cnn_c64": lambda name: build_cnn(name, 64),
    "binary_cnn_c96": lambda name: build_cnn(name, 96),
    "binary_cnn_c64_sign_zero": lambda name: build_cnn(name, 64, exact=True),
}


def main(argv):
    out, names = common.parse_selection(argv, __doc__.split("\n\n")[0], MODELS,
                                        "net (and its float twin)")
    for base in names:
        binary, inputs, net = MODELS[base](base)
        twin = float_twin(binary, net.layers, common.rng_for(base + "_float"))
        for name, model in ((base, binary), (base + "_float", twin)):
            is_twin = model is twin
            folder = os.path.join(out, name)
            common.write_folder(folder, model, inputs)
            signs = []
            for s, v in zip(net.signs, probe(model, [s["input"] for s in net.signs], inputs)):
                signs.append(dict(s, elements=int(v.size), positive=int(np.sum(v > 0)),
                                  negative=int(np.sum(v < 0)), zero=int(np.sum(v == 0))))
            layers = [dict(l, weights="float") for l in net.layers] if is_twin else net.layers
            for l in layers if is_twin else []:
                del l["weight_bytes_packed"]
            info = {"net": base, "float_twin": is_twin, "layers": layers, "signs": signs,
                    "macs": sum(l["macs"] for l in layers),
                    "weight_bytes_float32": sum(l["weight_bytes_float32"] for l in layers)}
            if not is_twin:
                info["weight_bytes_packed"] = sum(l["weight_bytes_packed"] for l in layers)
            common.write_info(folder, info)
            print("%-30s MACs %8d  weights %7d B float32%s  Sign zeros %-16s %5.0f KB" % (
                name, info["macs"], info["weight_bytes_float32"],
                "" if is_twin else " / %6d B packed" % info["weight_bytes_packed"],
                [s["zero"] for s in signs], common.folder_bytes(folder) / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
