#!/usr/bin/env python3
"""Magnitude-prunes the weights of an ONNX model and writes a backend-test folder.

usage: prune_model.py IN_MODEL OUT_DIR --sparsity S [--structured-channels F]
                      [--input-range LO HI] [--seed N]

Every Conv, Gemm and MatMul whose weight is an initializer is pruned on its own: the
round(S * size) weights of smallest magnitude become 0 (a per-layer threshold, so each layer, not
just the model, reaches S; ties broken by position, so the result is deterministic). Biases are
kept. With --structured-channels F, first the round(F * M) output filters of each Conv with the
lowest L1 norm are zeroed whole, together with their bias, so those output channels are exactly
0; the unstructured pruning then tops the layer up to S.

The compiler's sparse kernels are float, so an int8 QDQ model (as in examples/mlperf) is first
turned into float: a DequantizeLinear of a constant (weights, biases) is folded into a float
initializer, computed as ONNX Runtime computes it, float(q - zero_point) * scale; an activation
QuantizeLinear -> DequantizeLinear pair is removed, except that a pair whose range starts at
exactly 0 after a Conv, Gemm, MatMul, Add, Sub, Mul or BatchNormalization becomes a Relu,
because there the quantizer's clamp is the network's fused ReLU. The upper clamp of each pair
(the calibration range) is dropped.

OUT_DIR gets model.onnx, test_data_set_0/ (the inputs of IN_MODEL's folder when it has
test_data_set_0/input_<i>.pb, otherwise seeded uniform random values in the input's range: the
range of the input's QuantizeLinear in a QDQ model, else --input-range, default -1 1) with ONNX
Runtime's outputs, and info.json: per pruned layer its node, weight, shape, zeros and zeroed
channels, and how the outputs moved from the unpruned (float) model's.
"""

import argparse
import os
import sys

# common first: it re-executes under Debian's python3 when this one lacks numpy and onnx.
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import common  # noqa: E402
from common import ort_reference  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from google.protobuf.message import DecodeError  # noqa: E402
from onnx import helper, numpy_helper  # noqa: E402

PRUNED_OPS = ("Conv", "Gemm", "MatMul")
# Producers after which a [0, hi] quantization range is a ReLU the quantizer absorbed; after
# pooling, reshapes or a graph input the values are already in range and the pair is only the
# calibration range.
SIGNED_PRODUCERS = ("Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "BatchNormalization")
QUANT_LIMITS = {onnx.TensorProto.INT8: (-128, 127), onnx.TensorProto.UINT8: (0, 255)}


def fail(message):
    sys.stderr.write("prune_model: error: %s\n" % message)
    sys.exit(2)


# ---------------------------------------------------------------- QDQ -> float

def dequantize(q, scale, zero_point, axis):
    """ONNX DequantizeLinear as ONNX Runtime's CPU kernel computes it: float(q - zp) * scale."""
    q = q.astype(np.int64)
    zp = np.zeros(scale.shape, np.int64) if zero_point is None else zero_point.astype(np.int64)
    if scale.size > 1:  # per-axis: scale and zero point run along AXIS
        shape = [1] * q.ndim
        shape[axis % q.ndim] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    return ((q - zp).astype(np.float32) * scale.astype(np.float32)).astype(np.float32)


def qdq_to_float(model):
    """Returns (float model, summary). Raises ValueError on a QDQ pattern it does not know."""
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    arrays = {}

    def const(name):
        if name not in inits:
            return None
        if name not in arrays:
            arrays[name] = numpy_helper.to_array(inits[name])
        return arrays[name]

    producer = {o: n for n in graph.node for o in n.output}
    consumers = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    graph_outputs = {o.name for o in graph.output}

    rename = {}        # tensor name -> the name that replaces it in every consumer
    new_inits = []     # folded float weights
    dropped = set()    # ids of nodes that go
    replaced = {}      # id of a DequantizeLinear -> the node taking its place (Relu/Identity)
    summary = {"folded_constants": 0, "pairs_to_relu": 0, "pairs_removed": 0}

    for n in graph.node:
        if n.op_type != "DequantizeLinear":
            continue
        x, scale_name = n.input[0], n.input[1]
        zp_name = n.input[2] if len(n.input) > 2 and n.input[2] else None
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        scale = const(scale_name)
        if scale is None:
            raise ValueError("%s: non-constant scale" % n.name)
        if const(x) is not None:
            q = const(x)
            value = dequantize(q, scale, const(zp_name) if zp_name else None, axis)
            # The float weight keeps the quantized initializer's descriptive name when that
            # initializer feeds only this node.
            name = x if len(consumers.get(x, [])) == 1 else n.output[0]
            new_inits.append(numpy_helper.from_array(value, name))
            rename[n.output[0]] = name
            dropped.add(id(n))
            summary["folded_constants"] += 1
            continue
        q_node = producer.get(x)
        if q_node is None or q_node.op_type != "QuantizeLinear":
            raise ValueError("%s: DequantizeLinear of %s, which no QuantizeLinear produces" % (n.name, x))
        if any(c.op_type != "DequantizeLinear" for c in consumers[x]) or x in graph_outputs:
            raise ValueError("%s: its quantized tensor is used by more than DequantizeLinear" % q_node.name)
        q_in = q_node.input[0]
        has_zp = len(q_node.input) > 2 and q_node.input[2] in inits
        q_zp = const(q_node.input[2]) if has_zp else np.zeros(1, np.uint8)  # ONNX default: uint8 0
        lo_q, _ = QUANT_LIMITS[inits[q_node.input[2]].data_type if has_zp else onnx.TensorProto.UINT8]
        zero_based = q_zp.size == 1 and int(q_zp.ravel()[0]) == lo_q
        src = producer.get(q_in)
        dropped.add(id(q_node))
        if zero_based and src is not None and src.op_type in SIGNED_PRODUCERS:
            replaced[id(n)] = helper.make_node("Relu", [q_in], [n.output[0]], name=n.name + "_relu")
            summary["pairs_to_relu"] += 1
        elif n.output[0] in graph_outputs:
            replaced[id(n)] = helper.make_node("Identity", [q_in], [n.output[0]], name=n.name + "_identity")
            summary["pairs_removed"] += 1
        else:
            rename[n.output[0]] = q_in
            dropped.add(id(n))
            summary["pairs_removed"] += 1
    stray = [n.name for n in graph.node if n.op_type == "QuantizeLinear" and id(n) not in dropped]
    if stray:
        raise ValueError("QuantizeLinear without DequantizeLinear: %s" % ", ".join(stray))

    def resolve(name):
        # A removed pair may sit on a tensor that an earlier removal renamed (DQ -> Q -> DQ).
        while name in rename:
            name = rename[name]
        return name

    nodes = []
    for n in graph.node:
        if id(n) in replaced:
            n = replaced[id(n)]
        elif id(n) in dropped:
            continue
        for i, name in enumerate(n.input):
            n.input[i] = resolve(name)
        nodes.append(n)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input} | graph_outputs
    kept = [t for t in graph.initializer if t.name in used and t.name not in {t2.name for t2 in new_inits}]
    del graph.initializer[:]
    graph.initializer.extend(kept + [t for t in new_inits if t.name in used])
    # value_info from the quantized model describes tensors that are gone or now float.
    del graph.value_info[:]
    return model, summary


def input_ranges(model):
    """Per graph input, the range its QuantizeLinear represents, if one quantizes it directly."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    types = {t.name: t.data_type for t in model.graph.initializer}
    ranges = {}
    for n in model.graph.node:
        if n.op_type == "QuantizeLinear" and n.input[1] in inits:
            scale = float(np.ravel(inits[n.input[1]])[0])
            has_zp = len(n.input) > 2 and n.input[2] in inits
            zp = int(np.ravel(inits[n.input[2]])[0]) if has_zp else 0
            lo, hi = QUANT_LIMITS[types[n.input[2]] if has_zp else onnx.TensorProto.UINT8]
            ranges[n.input[0]] = ((lo - zp) * scale, (hi - zp) * scale)
    return ranges


# ---------------------------------------------------------------- pruning

def weight_input(node, inits):
    """The index of the node's constant weight input, or None."""
    if node.op_type == "Conv":
        return 1 if node.input[1] in inits else None
    for i in (1, 0):  # Gemm / MatMul: B is the usual weight; A only when B is not constant
        if len(node.input) > i and node.input[i] in inits:
            return i
    return None


def prune(model, sparsity, structured):
    inits = {t.name: t for t in model.graph.initializer}
    layers = []
    done = {}
    for node in model.graph.node:
        if node.op_type not in PRUNED_OPS:
            continue
        wi = weight_input(node, inits)
        if wi is None:
            continue
        wname = node.input[wi]
        if wname in done:  # a weight shared by several layers is pruned once
            layers.append(dict(done[wname], node=node.name or node.output[0], shared=True))
            continue
        w = numpy_helper.to_array(inits[wname]).astype(np.float32).copy()
        zeroed_channels = []
        bname = node.input[2] if node.op_type == "Conv" and len(node.input) > 2 and node.input[2] else None
        if structured and node.op_type == "Conv":
            m = w.shape[0]
            count = int(round(structured * m))
            l1 = np.abs(w.reshape(m, -1)).astype(np.float64).sum(axis=1)
            zeroed_channels = sorted(int(c) for c in np.argsort(l1, kind="stable")[:count])
            w[zeroed_channels] = 0
            if bname:
                b = numpy_helper.to_array(inits[bname]).astype(np.float32).copy()
                b[zeroed_channels] = 0
                inits[bname].CopyFrom(numpy_helper.from_array(b, bname))
        flat = w.reshape(-1)
        target = int(round(sparsity * flat.size))
        order = np.argsort(np.abs(flat), kind="stable")
        flat[order[:target]] = 0
        inits[wname].CopyFrom(numpy_helper.from_array(w, wname))
        zeros = int(np.count_nonzero(flat == 0))
        info = {"node": node.name or node.output[0], "op": node.op_type, "weight": wname,
                "shape": list(w.shape), "size": int(flat.size), "zeros": zeros,
                "sparsity": round(zeros / flat.size, 6)}
        if node.op_type == "Conv":
            info["group"] = next((a.i for a in node.attribute if a.name == "group"), 1)
            if structured:
                info["zeroed_channels"] = zeroed_channels
                info["bias_zeroed"] = bool(bname)
        done[wname] = info
        layers.append(info)
    return layers


# ---------------------------------------------------------------- inputs and outputs

def source_inputs(in_model):
    data = os.path.join(os.path.dirname(os.path.abspath(in_model)), "test_data_set_0")
    if os.path.isdir(data) and os.path.exists(os.path.join(data, "input_0.pb")):
        return data
    return None


def random_inputs(model, ranges, default_range, seed):
    rng = np.random.default_rng(seed)
    arrays = []
    for vi in ort_reference.graph_inputs(model):
        tt = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in tt.shape.dim]
        lo, hi = ranges.get(vi.name, default_range)
        dtype = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[tt.elem_type]
        arrays.append(rng.uniform(lo, hi, size=dims).astype(dtype))
    return arrays


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("in_model")
    p.add_argument("out_dir")
    p.add_argument("--sparsity", type=float, required=True, help="fraction of zeros per layer, 0 <= S < 1")
    p.add_argument("--structured-channels", type=float, default=0.0, metavar="F",
                   help="fraction of each Conv's output filters to zero whole (lowest L1 first)")
    p.add_argument("--input-range", type=float, nargs=2, default=(-1.0, 1.0), metavar=("LO", "HI"))
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if not 0 <= args.sparsity < 1:
        p.error("--sparsity must be in [0, 1)")
    if not 0 <= args.structured_channels < 1:
        p.error("--structured-channels must be in [0, 1)")

    try:
        source_model = onnx.load(args.in_model)
    except (OSError, DecodeError) as e:
        fail("cannot read %s: %s" % (args.in_model, e))
    model = onnx.ModelProto()
    model.CopyFrom(source_model)
    ranges = input_ranges(model)
    path = os.path.abspath(args.in_model)
    info = {"source": os.path.relpath(path, common.REPO) if path.startswith(common.REPO + os.sep) else path,
            "sparsity": args.sparsity, "structured_channels": args.structured_channels}
    quantized = any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in model.graph.node)
    if quantized:
        try:
            model, summary = qdq_to_float(model)
        except ValueError as e:
            fail("cannot convert %s to float: %s" % (args.in_model, e))
        info["converted_from_qdq"] = summary
    onnx.checker.check_model(model, full_check=True)
    dense = onnx.ModelProto()
    dense.CopyFrom(model)

    data = source_inputs(args.in_model)
    if data:
        inputs = ort_reference.read_inputs(data, model)
        inputs = [inputs[vi.name] for vi in ort_reference.graph_inputs(model)]
        info["inputs"] = "copied from " + os.path.relpath(data, os.path.dirname(os.path.abspath(args.in_model)))
    else:
        inputs = random_inputs(model, ranges, tuple(args.input_range), args.seed)
        info["inputs"] = "uniform random, seed %d, ranges %s" % (args.seed, {
            vi.name: list(ranges.get(vi.name, args.input_range)) for vi in ort_reference.graph_inputs(model)})

    layers = prune(model, args.sparsity, args.structured_channels)
    if not layers:
        fail("%s has no Conv, Gemm or MatMul with a constant weight" % args.in_model)
    outputs = common.write_folder(args.out_dir, model, inputs)

    # How far each output moved: from the unpruned float model, and (QDQ only) from the
    # quantized original, as a sanity check of the conversion itself.
    ref_dense = ort_reference.run_model(dense, inputs)
    info["max_abs_change_vs_unpruned"] = {n: float(np.max(np.abs(a - b))) for (n, a), (_, b) in zip(outputs, ref_dense)}
    if quantized:
        ref_q = ort_reference.run_model(source_model, inputs)
        info["float_conversion_max_abs_diff_vs_qdq"] = {
            n: float(np.max(np.abs(a - b))) for (n, a), (_, b) in zip(ref_dense, ref_q)}
    total = sum(l["size"] for l in layers if not l.get("shared"))
    zeros = sum(l["zeros"] for l in layers if not l.get("shared"))
    info["total"] = {"layers": len(layers), "weights": total, "zeros": zeros,
                     "sparsity": round(zeros / total, 6),
                     "zeroed_channels": sum(len(l.get("zeroed_channels", [])) for l in layers)}
    info["layers"] = layers
    common.write_info(args.out_dir, info)
    print("%s: %d layers, %d of %d weights zero (%.1f%%), %d channels zeroed, %.0f KB" % (
        args.out_dir, len(layers), zeros, total, 100.0 * zeros / total, info["total"]["zeroed_channels"],
        common.folder_bytes(args.out_dir) / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
