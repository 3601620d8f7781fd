#!/usr/bin/env python3
"""Writes one backend-test folder per model into OUT: single-Conv models (some followed by Relu)
whose weights are separable in the sense of Jaderberg et al., "Speeding up Convolutional Neural
Networks with Low Rank Expansions" (2014), scheme 2.

usage: make_separable_convs.py OUT [--only NAME]...

For a Conv with weights W[M, C/g, K, K] and g groups, take in each group the matrix whose rows
are (c, kh) and columns (m, kw). When it has rank R, W[m, c, :, :] = sum_r v_r[c, :] (x) h_r[m, :]
and the Conv equals a Kx1 Conv to R channels per group followed by a 1xK Conv to the M outputs.

The exact models draw their factors from small dyadic numbers (k/32, binomial/16, integers) so
that every weight, a sum of at most two products of such numbers, is exactly the float32 value
of the real product: their float32 weights have rank R exactly, not merely to rounding. The box
filters use 1/K^2, not dyadic, but every entry is the same float, so that matrix is rank 1
exactly too. fullrank_3x3 (random weights) must not be factorized; lowrank_5x5 is rank 2 plus
noise of 1e-3 of its Frobenius norm, for a factorization with a tolerance.

Each folder has info.json: K, R (true rank per group; for lowrank the rank without noise),
numeric_rank (from an SVD of the stored float32 weights), relative_noise, rank_R_relative_error
(Frobenius distance of the weights from their best rank-R approximation, relative to their
norm), and the MACs of the Conv as given and as the Kx1 then 1xK pair.
"""

import os
import sys

# common first: it re-executes under Debian's python3 when this one lacks numpy and onnx.
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

SOBEL_SMOOTH = np.array([1, 2, 1], np.float64)
SOBEL_DIFF = np.array([-1, 0, 1], np.float64)
BINOMIAL5 = np.array([1, 4, 6, 4, 1], np.float64) / 16  # the 5-tap Gaussian approximation


def dyadic(rng, shape):
    """Random values k/32 with k in [-32, 32]: the product of two has at most 11 significant bits
    and the sum of two such products at most 12, all exact in float32."""
    while True:
        v = rng.integers(-32, 33, size=shape) / 32.0
        if np.all(np.abs(v).reshape(shape[0], -1).sum(axis=1) > 0):
            return v


def group_matrices(w, groups):
    """The (c, kh) x (m, kw) matrix of each group of W[M, C/g, K, K]."""
    m, cg, kh, kw = w.shape
    mg = m // groups
    return [w[g * mg:(g + 1) * mg].astype(np.float64).transpose(1, 2, 0, 3).reshape(cg * kh, mg * kw)
            for g in range(groups)]


def from_factors(vert, horiz):
    """W from per-group factors: vert[g] is (R, C/g, K) (the Kx1 filters), horiz[g] is (R, M/g, K)
    (the 1xK filters); W[g*M/g + m, c, kh, kw] = sum_r vert[g][r, c, kh] * horiz[g][r, m, kw]."""
    blocks = [np.einsum("rck,rml->mckl", v, h) for v, h in zip(vert, horiz)]
    return np.concatenate(blocks, axis=0)


def numeric_rank(w, groups):
    ranks = []
    for mat in group_matrices(w, groups):
        s = np.linalg.svd(mat, compute_uv=False)
        # float32 weights that are exactly rank R leave the other singular values at float64
        # rounding (~1e-16 relative); noise or float32 rounding of real products sits far above.
        ranks.append(int(np.sum(s > s[0] * 1e-10)) if s[0] > 0 else 0)
    return ranks


def rank_r_error(w, groups, r):
    residual = 0.0
    for mat in group_matrices(w, groups):
        s = np.linalg.svd(mat, compute_uv=False)
        residual += float(np.sum(s[r:] ** 2))
    return float(np.sqrt(residual) / np.linalg.norm(w.astype(np.float64)))


# ---------------------------------------------------------------- the models
#
# Each entry: folder name -> dict with
#   c, h, w      input 1 x c x h x w
#   m, k, group  Conv output channels, kernel size, groups
#   weights      function (rng, spec) -> (W float64 [M, C/g, K, K], true rank per group, noise)
#   pads / auto_pad, strides, dilations, bias, relu


def sobel_x(rng, s):
    return from_factors([SOBEL_SMOOTH[None, None, :]], [SOBEL_DIFF[None, None, :]]), 1, 0.0


def sobel_xy(rng, s):
    # Output 0 is d/dx (smooth vertically, differentiate horizontally), output 1 is d/dy; their
    # vertical filters differ, so together they are rank 2 (< K = 3) though each is rank 1.
    vert = np.array([[SOBEL_SMOOTH], [SOBEL_DIFF]])               # (R=2, C=1, K)
    horiz = np.array([[SOBEL_DIFF, [0, 0, 0]], [[0, 0, 0], SOBEL_SMOOTH]])  # (R=2, M=2, K)
    return from_factors([vert], [horiz]), 2, 0.0


def gaussian(rng, s):
    # A blur of a fixed mix of the input channels into each output: per-channel weights are
    # multiples of 1/4 and 1/2, the taps binomial/16, so every product is exact.
    a = rng.integers(1, 5, size=s["c"]) / 4.0
    b = rng.choice([-1.0, -0.5, 0.5, 1.0], size=s["m"])
    vert = (a[:, None] * BINOMIAL5[None, :])[None]
    horiz = (b[:, None] * BINOMIAL5[None, :])[None]
    return from_factors([vert], [horiz]), 1, 0.0


def box(rng, s):
    k = s["k"]
    cg = s["c"] // s["group"]
    return np.full((s["m"], cg, k, k), 1.0 / (k * k)), 1, 0.0


def random_rank(r, noise=0.0):
    def build(rng, s):
        g = s["group"]
        cg, mg, k = s["c"] // g, s["m"] // g, s["k"]
        for _ in range(100):
            vert = [dyadic(rng, (r, cg, k)) for _ in range(g)]
            horiz = [dyadic(rng, (r, mg, k)) for _ in range(g)]
            w = from_factors(vert, horiz)
            if all(x == r for x in numeric_rank(w, g)):
                break
        else:
            raise RuntimeError("could not draw independent rank-%d factors" % r)
        if noise:
            n = rng.standard_normal(w.shape)
            w = w + n * (noise * np.linalg.norm(w) / np.linalg.norm(n))
        return w, r, noise
    return build


def full_rank(rng, s):
    k, cg = s["k"], s["c"] // s["group"]
    w = rng.standard_normal((s["m"], cg, k, k)) / np.sqrt(cg * k * k)
    return w, min(cg * k, s["m"] // s["group"] * k), 0.0


MODELS = {
    "sobel_3x3": dict(c=1, h=16, w=16, m=1, k=3, weights=sobel_x, pads=[1, 1, 1, 1]),
    "sobel_xy_3x3_rank2": dict(c=1, h=14, w=18, m=2, k=3, weights=sobel_xy, pads=[1, 1, 1, 1],
                               bias=True, relu=True),
    "gaussian_5x5_c3_m4": dict(c=3, h=18, w=18, m=4, k=5, weights=gaussian, pads=[2, 2, 2, 2], bias=True),
    "gaussian_5x5_stride2": dict(c=2, h=17, w=19, m=3, k=5, weights=gaussian, pads=[2, 2, 2, 2],
                                 strides=[2, 2], relu=True),
    "box_3x3_c3_m2": dict(c=3, h=12, w=15, m=2, k=3, weights=box, pads=[1, 1, 1, 1]),
    "box_7x7_dilation2": dict(c=1, h=20, w=20, m=1, k=7, weights=box, pads=[6, 6, 6, 6], dilations=[2, 2]),
    "rank1_3x3_c4_m8_asym_pads": dict(c=4, h=13, w=16, m=8, k=3, weights=random_rank(1),
                                      pads=[1, 0, 2, 1], bias=True),
    "rank1_5x5_c8_m8_same_upper_stride2": dict(c=8, h=16, w=14, m=8, k=5, weights=random_rank(1),
                                               auto_pad="SAME_UPPER", strides=[2, 2], bias=True, relu=True),
    "rank1_7x7_c2_m4_valid": dict(c=2, h=19, w=20, m=4, k=7, weights=random_rank(1), bias=True, relu=True),
    "rank2_7x7_c4_m6": dict(c=4, h=16, w=16, m=6, k=7, weights=random_rank(2), pads=[3, 3, 3, 3], bias=True),
    "rank2_5x5_c3_m5_same_lower": dict(c=3, h=15, w=12, m=5, k=5, weights=random_rank(2),
                                       auto_pad="SAME_LOWER"),
    "rank2_5x5_c5_m4_stride2_dilation2": dict(c=5, h=20, w=17, m=4, k=5, weights=random_rank(2),
                                              pads=[4, 4, 4, 4], strides=[2, 2], dilations=[2, 2], bias=True),
    "depthwise_box_3x3": dict(c=8, h=16, w=16, m=8, k=3, group=8, weights=box, pads=[1, 1, 1, 1]),
    "depthwise_rank1_5x5_stride2": dict(c=6, h=18, w=15, m=6, k=5, group=6, weights=random_rank(1),
                                        pads=[2, 2, 2, 2], strides=[2, 2], bias=True, relu=True),
    # Depth multiplier 2: each input channel feeds two outputs that must share its Kx1 filter.
    "depthwise_mult2_rank1_3x3": dict(c=4, h=12, w=12, m=8, k=3, group=4, weights=random_rank(1),
                                      pads=[1, 1, 1, 1], bias=True),
    "grouped_g2_rank1_3x3_dilation2": dict(c=4, h=14, w=14, m=6, k=3, group=2, weights=random_rank(1),
                                           pads=[2, 2, 2, 2], dilations=[2, 2]),
    "fullrank_3x3": dict(c=3, h=16, w=16, m=4, k=3, weights=full_rank, pads=[1, 1, 1, 1], bias=True),
    "lowrank_5x5": dict(c=4, h=16, w=16, m=6, k=5, weights=random_rank(2, noise=1e-3), pads=[2, 2, 2, 2],
                        bias=True, relu=True),
}


def conv_geometry(s, out_h, out_w):
    """Pads (top, left, bottom, right) as ONNX resolves them, for the MAC count of the pair."""
    if "auto_pad" not in s:
        return s.get("pads", [0, 0, 0, 0])
    pads = []
    for size, out, stride, dil in ((s["h"], out_h, s.get("strides", [1, 1])[0], s.get("dilations", [1, 1])[0]),
                                   (s["w"], out_w, s.get("strides", [1, 1])[1], s.get("dilations", [1, 1])[1])):
        total = max(0, (out - 1) * stride + (s["k"] - 1) * dil + 1 - size)
        small, large = total // 2, total - total // 2
        pads.append((small, large) if s["auto_pad"] == "SAME_UPPER" else (large, small))
    return [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]


def build(name, s):
    rng = common.rng_for(name)
    s = {"group": 1, **s}
    exact, rank, noise = s["weights"](rng, s)
    w = exact.astype(np.float32)
    if noise == 0 and rank < s["k"]:
        # The float32 weights must be the real-valued separable filter itself (or, for the box,
        # one repeated value), or "exactly separable" would hold only up to rounding.
        assert np.array_equal(w.astype(np.float64), exact) or np.all(w == w.flat[0]), name
    inits = [numpy_helper.from_array(w, "conv.weight")]
    conv_inputs = ["x", "conv.weight"]
    if s.get("bias"):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal(s["m"]) * 0.5).astype(np.float32), "conv.bias"))
        conv_inputs.append("conv.bias")
    attrs = dict(kernel_shape=[s["k"], s["k"]], group=s["group"])
    for key in ("pads", "auto_pad", "strides", "dilations"):
        if key in s:
            attrs[key] = s[key]
    conv_out = "conv_out" if s.get("relu") else "y"
    nodes = [helper.make_node("Conv", conv_inputs, [conv_out], name="conv", **attrs)]
    if s.get("relu"):
        nodes.append(helper.make_node("Relu", [conv_out], ["y"], name="relu"))
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, s["c"], s["h"], s["w"]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = common.make_model(graph)
    x = rng.standard_normal((1, s["c"], s["h"], s["w"])).astype(np.float32)
    return model, [x], w, rank, noise, s


def main(argv):
    out, names = common.parse_selection(argv, __doc__.split("\n\n")[0], MODELS, "model")
    for name in names:
        model, inputs, w, rank, noise, s = build(name, MODELS[name])
        folder = os.path.join(out, name)
        outputs = common.write_folder(folder, model, inputs)
        _, _, out_h, out_w = outputs[0][1].shape
        g, k, m, cg = s["group"], s["k"], s["m"], s["c"] // s["group"]
        top, left, bottom, right = conv_geometry(s, out_h, out_w)
        macs = out_h * out_w * m * cg * k * k
        # The Kx1 Conv keeps every padded input column (it has no horizontal stride); the 1xK
        # Conv then strides over those columns to the final width.
        padded_w = s["w"] + left + right
        macs_pair = out_h * padded_w * g * rank * cg * k + out_h * out_w * m * rank * k
        ranks = numeric_rank(w, g)
        info = {
            "K": k, "R": rank, "numeric_rank": ranks if g > 1 else ranks[0],
            "relative_noise": noise, "rank_R_relative_error": rank_r_error(w, g, rank),
            # Exactly: the stored weights themselves have rank R < K. lowrank_5x5 is not, but its
            # rank_R_relative_error says the tolerance at which its rank-2 factorization passes.
            "factorizable": rank < k and all(r == rank for r in ranks),
            "convs": [{"node": "conv", "input": [1, s["c"], s["h"], s["w"]], "output": [1, m, out_h, out_w],
                       "M": m, "C": s["c"], "group": g, "pads": [top, left, bottom, right],
                       "strides": s.get("strides", [1, 1]), "dilations": s.get("dilations", [1, 1]),
                       "bias": bool(s.get("bias")), "relu_after": bool(s.get("relu")),
                       "macs": macs, "macs_kx1_then_1xk": macs_pair}],
            "macs": macs,
        }
        common.write_info(folder, info)
        print("%-36s K=%d R=%d numeric rank %-8s noise %.0e rank-R err %.1e MACs %7d -> %7d  %6.1f KB" % (
            name, k, rank, info["numeric_rank"], noise, info["rank_R_relative_error"], macs, macs_pair,
            common.folder_bytes(folder) / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
