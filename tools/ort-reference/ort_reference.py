"""Reference outputs from ONNX Runtime for ONNX backend-test folders.

The model runs in ONNX Runtime's CPU provider through Node.js and the onnxruntime-node npm
package (run.js beside this file), because that is the ONNX Runtime this machine can install:
there is no onnxruntime Python wheel in Debian and PyPI is out of reach. Tensors cross between
Python and Node as JSON with base64 raw data, dtype and dims.

Graph optimizations are disabled, as for the references in examples/mlperf, so that ORT runs
each node as the model states it (no fusions that would reassociate float arithmetic), and one
intra-op thread keeps the results the same from run to run.

For generators:
    sys.path.insert(0, os.path.join(REPO, "tools", "ort-reference"))
    import ort_reference
    ort_reference.write_test_data(model_dir, [array, ...])   # input_<i>.pb, then output_<i>.pb
    ort_reference.write_reference(model_dir)                 # output_<i>.pb from existing inputs
    outputs = ort_reference.run_model(model_or_path, {name: array})
"""

import base64
import contextlib
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
RUN_JS = os.path.join(HERE, "run.js")

SESSION_OPTIONS = {
    "graphOptimizationLevel": "disabled",
    "executionProviders": ["cpu"],
    "intraOpNumThreads": 1,
}

# numpy dtype -> ORT tensor type; bool travels as one byte per element, float16 as its bits.
ORT_TYPES = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.float16): "float16",
    np.dtype(np.int8): "int8",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.int16): "int16",
    np.dtype(np.uint16): "uint16",
    np.dtype(np.int32): "int32",
    np.dtype(np.uint32): "uint32",
    np.dtype(np.int64): "int64",
    np.dtype(np.uint64): "uint64",
    np.dtype(np.bool_): "bool",
}
NUMPY_TYPES = {v: k for k, v in ORT_TYPES.items()}


class OrtError(RuntimeError):
    pass


def log(message):
    sys.stderr.write("ort-reference: %s\n" % message)
    sys.stderr.flush()


# ------------------------------------------------------------------ onnxruntime-node

def ort_prefix():
    """The npm prefix whose node_modules holds (or will hold) onnxruntime-node."""
    if os.environ.get("TINYC_ORT_DIR"):
        return os.path.abspath(os.environ["TINYC_ORT_DIR"])
    return os.path.join(REPO, "build", "ort")


def _installed(prefix):
    return os.path.exists(os.path.join(prefix, "node_modules", "onnxruntime-node", "package.json"))


def ensure_onnxruntime_node():
    """Returns the node_modules folder with onnxruntime-node.

    Nothing here installs it: a test must not reach the network, and the reference must be the
    version that scripts/setup.sh pins, not whatever npm serves today."""
    prefix = ort_prefix()
    modules = os.path.join(prefix, "node_modules")
    if not _installed(prefix):
        raise OrtError("onnxruntime-node is not installed in %s: scripts/setup.sh installs it "
                       "there (into $TINYC_ORT_DIR when that is set)" % modules)
    return modules


# ------------------------------------------------------------------ running a model

def graph_inputs(model):
    """The model's real inputs in graph order: graph inputs that no initializer provides."""
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def _encode(name, array):
    array = np.asarray(array)
    if array.dtype.kind in "OSU":
        items = [x.encode("utf-8") if isinstance(x, str) else bytes(x) for x in array.ravel()]
        return {"name": name, "type": "string", "dims": list(array.shape),
                "data": [base64.b64encode(x).decode("ascii") for x in items]}
    if array.dtype not in ORT_TYPES:
        raise OrtError("input '%s': ONNX Runtime takes no %s tensors" % (name, array.dtype))
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
    return {"name": name, "type": ORT_TYPES[array.dtype], "dims": list(array.shape),
            "data": base64.b64encode(data.tobytes()).decode("ascii")}


def _decode(t):
    dims = [int(d) for d in t["dims"]]
    if t["type"] == "string":
        # str, as onnx.numpy_helper.to_array gives for string tensors
        items = [base64.b64decode(s).decode("utf-8") for s in t["data"]]
        return np.array(items, dtype=object).reshape(dims)
    if t["type"] not in NUMPY_TYPES:
        raise OrtError("output '%s': unknown ORT type '%s'" % (t["name"], t["type"]))
    raw = base64.b64decode(t["data"])
    dtype = NUMPY_TYPES[t["type"]]
    if dtype == np.bool_:
        return np.frombuffer(raw, dtype=np.uint8).astype(np.bool_).reshape(dims)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype).reshape(dims)


def run_model(model, inputs, options=None):
    """Runs MODEL (a path or an onnx.ModelProto) in ONNX Runtime.

    INPUTS: a dict name -> array, or a list of arrays in graph-input order.
    Returns [(name, array)] for every graph output, in graph order."""
    with contextlib.ExitStack() as stack:
        if isinstance(model, onnx.ModelProto):
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="ort-reference-"))
            path = os.path.join(tmp, "model.onnx")
            onnx.save(model, path)
            proto = model
        else:
            path = os.path.abspath(model)
            proto = onnx.load(path, load_external_data=False)
        names = [i.name for i in graph_inputs(proto)]
        if not isinstance(inputs, dict):
            inputs = list(inputs)
            if len(inputs) != len(names):
                raise OrtError("%d inputs given, the model has %d (%s)"
                               % (len(inputs), len(names), ", ".join(names)))
            inputs = dict(zip(names, inputs))
        missing = [n for n in names if n not in inputs]
        if missing:
            raise OrtError("no data for the model's input(s) %s" % ", ".join(missing))
        opts = dict(SESSION_OPTIONS)
        opts.update(options or {})
        request = {"model": path, "options": opts,
                   "inputs": [_encode(n, inputs[n]) for n in names]}
        node = shutil.which("node")
        if not node:
            raise OrtError("node is not on PATH (Debian: nodejs)")
        modules = ensure_onnxruntime_node()
        proc = subprocess.run([node, RUN_JS, modules], input=json.dumps(request).encode(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise OrtError("ONNX Runtime failed on %s:\n%s" % (path, proc.stderr.decode(errors="replace")))
        if proc.stderr:
            sys.stderr.write(proc.stderr.decode(errors="replace"))
        got = {t["name"]: _decode(t) for t in json.loads(proc.stdout)["outputs"]}
        return [(o.name, got[o.name]) for o in proto.graph.output]


# ------------------------------------------------------------------ backend-test folders

def _numbered(folder, stem):
    found = []
    for path in glob.glob(os.path.join(folder, stem + "_*.pb")):
        m = re.fullmatch(stem + r"_(\d+)\.pb", os.path.basename(path))
        if m:
            found.append((int(m.group(1)), path))
    return [p for _, p in sorted(found)]


def read_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor.name, numpy_helper.to_array(tensor)


def read_inputs(data_dir, model):
    """The data set's inputs as a dict for the model's inputs: by name when every input_<i>.pb
    names one of them (as tools/tinyc-run pairs them), otherwise by position."""
    names = [i.name for i in graph_inputs(model)]
    read = [read_tensor(p) for p in _numbered(data_dir, "input")]
    by_name = dict(read)
    if read and all(n in names for n, _ in read) and all(n in by_name for n in names):
        return {n: by_name[n] for n in names}
    if len(read) != len(names):
        raise OrtError("%s has %d input_*.pb files, the model %d inputs (%s)"
                       % (data_dir, len(read), len(names), ", ".join(names)))
    return {n: arr for n, (_, arr) in zip(names, read)}


def write_tensor(path, name, array):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.asarray(array), name).SerializeToString())


def write_reference(model_dir, data="test_data_set_0", options=None):
    """Runs MODEL_DIR/model.onnx on MODEL_DIR/DATA/input_<i>.pb and writes output_<i>.pb (named
    after the graph's outputs). Returns [(name, array)]."""
    model_path = os.path.join(model_dir, "model.onnx")
    data_dir = os.path.join(model_dir, data)
    model = onnx.load(model_path, load_external_data=False)
    outputs = run_model(model_path, read_inputs(data_dir, model), options)
    for stale in _numbered(data_dir, "output"):
        os.remove(stale)
    for i, (name, array) in enumerate(outputs):
        write_tensor(os.path.join(data_dir, "output_%d.pb" % i), name, array)
    return outputs


def write_test_data(model_dir, inputs, data="test_data_set_0", options=None):
    """Writes INPUTS (arrays in graph-input order, or a dict by name) as MODEL_DIR/DATA/
    input_<i>.pb, then the ORT reference outputs. MODEL_DIR/model.onnx must exist."""
    model = onnx.load(os.path.join(model_dir, "model.onnx"), load_external_data=False)
    names = [i.name for i in graph_inputs(model)]
    if isinstance(inputs, dict):
        inputs = [inputs[n] for n in names]
    if len(inputs) != len(names):
        raise OrtError("%d inputs given, the model has %d" % (len(inputs), len(names)))
    data_dir = os.path.join(model_dir, data)
    os.makedirs(data_dir, exist_ok=True)
    for stale in _numbered(data_dir, "input"):
        os.remove(stale)
    for i, (name, array) in enumerate(zip(names, inputs)):
        write_tensor(os.path.join(data_dir, "input_%d.pb" % i), name, array)
    return write_reference(model_dir, data, options)


# ------------------------------------------------------------------ command line

def _compare(data_dir, outputs, atol):
    """Prints how far OUTPUTS are from the data set's output_<i>.pb. False when a shape or type
    differs, NaNs sit elsewhere, a float differs by more than ATOL or anything else differs."""
    refs = _numbered(data_dir, "output")
    if len(refs) != len(outputs):
        print("%s: %d output_*.pb files, the model has %d outputs" % (data_dir, len(refs), len(outputs)))
        return False
    ok = True
    for path, (name, got) in zip(refs, outputs):
        _, ref = read_tensor(path)
        if ref.shape != got.shape or ref.dtype != got.dtype:
            print("%s: %s is %s %s, ORT gives %s %s" % (path, name, ref.dtype, ref.shape, got.dtype, got.shape))
            ok = False
        elif got.dtype.kind in "fc":
            same_nan = np.array_equal(np.isnan(ref), np.isnan(got))
            both = ~np.isnan(ref) & ~np.isnan(got)
            r, g = ref[both].astype(np.float64), got[both].astype(np.float64)
            same_inf = np.array_equal(r[np.isinf(r)], g[np.isinf(r)])
            finite = np.isfinite(r) & np.isfinite(g)
            worst = float(np.abs(r[finite] - g[finite]).max()) if finite.any() else 0.0
            exact = same_nan and np.array_equal(ref[both], got[both])
            print("%s: %s %s max abs diff %.3g%s%s" % (
                path, name, list(got.shape), worst, " (bit-exact)" if exact else "",
                "" if same_nan and same_inf else " (NaN/inf positions differ)"))
            ok &= same_nan and same_inf and worst <= atol
        else:
            equal = np.array_equal(ref, got)
            print("%s: %s %s %s %s" % (path, name, got.dtype, list(got.shape), "equal" if equal else "DIFFERENT"))
            ok &= equal
    return ok


def main(argv):
    import argparse
    p = argparse.ArgumentParser(
        prog="ort-reference",
        description="Writes MODEL_DIR/DATA/output_<i>.pb with ONNX Runtime's outputs (CPU, graph "
                    "optimizations disabled) for MODEL_DIR/model.onnx and MODEL_DIR/DATA/input_<i>.pb. "
                    "onnxruntime-node comes from $TINYC_ORT_DIR/node_modules, else "
                    "<repo>/build/ort/node_modules, where scripts/setup.sh installs it.")
    p.add_argument("model_dir")
    p.add_argument("--data", action="append",
                   help="data set folder inside MODEL_DIR (repeatable; default test_data_set_0)")
    p.add_argument("--compare", action="store_true",
                   help="write nothing: print the max abs difference between ORT's outputs and the "
                        "existing output_<i>.pb; exit 1 if above --atol")
    p.add_argument("--atol", type=float, default=1e-5, help="bound for --compare (default 1e-5)")
    args = p.parse_args(argv)
    status = 0
    try:
        for data in args.data or ["test_data_set_0"]:
            data_dir = os.path.join(args.model_dir, data)
            if not os.path.isdir(data_dir):
                raise OrtError("no folder %s" % data_dir)
            if args.compare:
                model_path = os.path.join(args.model_dir, "model.onnx")
                model = onnx.load(model_path, load_external_data=False)
                outputs = run_model(model_path, read_inputs(data_dir, model))
                if not _compare(data_dir, outputs, args.atol):
                    status = 1
            else:
                for i, (name, array) in enumerate(write_reference(args.model_dir, data)):
                    log("%s/output_%d.pb: %s %s %s" % (data_dir, i, name, array.dtype, list(array.shape)))
    except (OrtError, OSError, ValueError) as e:
        log("error: %s" % e)
        return 2
    return status

