"""What the compression generators share: seeding, writing a backend-test folder, checking it.

A backend-test folder is MODEL_DIR/model.onnx, MODEL_DIR/test_data_set_0/input_<i>.pb and
output_<i>.pb (ONNX Runtime's outputs, from tools/ort-reference), plus MODEL_DIR/info.json
describing what the generator built, so that tests can check the compiler against it.
"""

import argparse
import json
import os
import re
import shutil
import sys
import zlib

try:
    import numpy as np
    import onnx
except ImportError:
    # `python3` on PATH may be another installation (pyenv, a venv) without numpy and onnx;
    # Debian's interpreter has them (python3-numpy, python3-onnx), so a generator started from
    # the command line retries under it once.
    SYSTEM_PYTHON = "/usr/bin/python3"
    script = getattr(sys.modules["__main__"], "__file__", None)
    if script and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
            os.path.exists(SYSTEM_PYTHON) and not os.environ.get("TINYC_COMPRESSION_REEXEC"):
        os.environ["TINYC_COMPRESSION_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.realpath(script)] + sys.argv[1:])
    raise

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tools", "ort-reference"))
import ort_reference  # noqa: E402

# Every generated model stamps this opset and IR version: both are what python3-onnx 1.12 and
# the ONNX Runtime 1.30 of tools/ort-reference support, and pinning them keeps the files
# identical from one run (and one onnx version) to the next.
OPSET = 13
IR_VERSION = 8


def rng_for(name, base_seed=0):
    """A generator seeded from the folder name, so that adding or reordering models leaves the
    data of the others unchanged."""
    return np.random.default_rng([base_seed, zlib.crc32(name.encode())])


def make_model(graph):
    """The model of GRAPH; graph outputs declared without a shape get the one ONNX's shape
    inference finds, since the checker (and tinyc) want every graph output's shape."""
    model = onnx.helper.make_model(graph, producer_name="tinyc-compression",
                                   opset_imports=[onnx.helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    types = {v.name: v.type for v in inferred.graph.value_info}
    types.update({v.name: v.type for v in inferred.graph.output})
    for out in model.graph.output:
        if not out.type.tensor_type.HasField("shape"):
            out.type.CopyFrom(types[out.name])
    return model


def parse_selection(argv, description, names, what):
    """The generators' command line: the output folder and `--only NAME` (repeatable) among
    NAMES. Returns (folder, the names chosen, in order); an unknown name is a usage error."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("out")
    p.add_argument("--only", action="append", help="write only this %s (repeatable)" % what)
    args = p.parse_args(argv)
    chosen = args.only or list(names)
    unknown = [n for n in chosen if n not in names]
    if unknown:
        p.error("unknown %s(s) %s; known: %s" % (what, ", ".join(unknown), ", ".join(names)))
    return args.out, chosen


def write_folder(model_dir, model, inputs, info=None):
    """Saves MODEL (checked first) and its INPUTS (arrays in graph-input order) into MODEL_DIR,
    replacing what it held, runs it in ONNX Runtime for output_<i>.pb, and writes INFO as
    info.json. Returns ORT's [(name, array)]."""
    onnx.checker.check_model(model, full_check=True)
    shutil.rmtree(model_dir, ignore_errors=True)
    os.makedirs(model_dir)
    onnx.save(model, os.path.join(model_dir, "model.onnx"))
    outputs = ort_reference.write_test_data(model_dir, inputs)
    if info is not None:
        write_info(model_dir, info)
    return outputs


def write_info(model_dir, info):
    text = json.dumps(info, indent=1)
    # Shapes, pads and other lists of numbers on one line each, so the file reads as a table.
    text = re.sub(r"\[\s*([-0-9.e+, \n]*?)\s*\]",
                  lambda m: "[" + re.sub(r"\s*\n\s*", " ", m.group(1)) + "]", text)
    with open(os.path.join(model_dir, "info.json"), "w") as f:
        f.write(text + "\n")


def verify_folder(model_dir):
    """Reloads the folder as a consumer would: checker on the saved file, ORT on the saved inputs,
    and ORT's outputs equal to the saved ones. Raises on any problem."""
    path = os.path.join(model_dir, "model.onnx")
    model = onnx.load(path)
    # The loaded proto, not the path: for a path, python3-onnx 1.12's full check writes the
    # shape-inferred model back over the file.
    onnx.checker.check_model(model, full_check=True)
    data = os.path.join(model_dir, "test_data_set_0")
    got = ort_reference.run_model(path, ort_reference.read_inputs(data, model))
    for i, (name, array) in enumerate(got):
        ref_name, ref = ort_reference.read_tensor(os.path.join(data, "output_%d.pb" % i))
        if ref_name != name or ref.shape != array.shape or not np.array_equal(ref, array, equal_nan=True):
            raise RuntimeError("%s: output %d (%s) differs from a fresh ORT run" % (model_dir, i, name))


def folder_bytes(model_dir):
    total = 0
    for root, _, files in os.walk(model_dir):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total
