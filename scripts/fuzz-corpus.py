#!/usr/bin/python3
"""Regenerates the fuzzer's seed corpus, test/corpus/ (committed; run again when the
importer learns an operator).

usage: scripts/fuzz-corpus.py [--tinyc build/bin/tinyc]

Seeds: the smallest bundled MLPerf model with convolutions (kws_dscnn_qdq, 50 KB), and from Debian's ONNX conformance data (libonnx-testdata) the model of every node case
whose operators tinyc converts, at most PER_OP cases per operator and none above MAX_BYTES, so
that the corpus stays small and fast to execute; for a case with several inputs also a copy
(NAME_const.onnx) whose later inputs are initializers holding the case's values.
"""

import argparse
import os
import shutil
import subprocess

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = "/usr/share/libonnx-testdata/data/node"
OUT = os.path.join(ROOT, "test", "corpus")
# ResNet-8 (100 KB) took 4 s of CPU per execution under the sanitizers, 7 times KWS's, and its
# mutants went past libFuzzer's timeout on a loaded machine: KWS alone stands for the models.
MODELS = ["mlperf_kws_dscnn_qdq"]
PER_OP = 4
MAX_BYTES = 16384


def with_constant_inputs(model, folder):
    """The model with every input but the first made an initializer holding the case's
    value: operands that tinyc needs at compile time (shapes, pads, axes) are then known,
    and the seed reaches the passes instead of stopping at import. None for one input."""
    graph = model.graph
    if len(graph.input) < 2:
        return None
    for k in range(1, len(graph.input)):
        data = os.path.join(folder, "test_data_set_0", "input_%d.pb" % k)
        if not os.path.exists(data):
            return None
        tensor = onnx.TensorProto()
        with open(data, "rb") as f:
            tensor.ParseFromString(f.read())
        tensor.name = graph.input[k].name
        graph.initializer.append(tensor)
    del graph.input[1:]
    return model


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tinyc", default=os.path.join(ROOT, "build", "bin", "tinyc"))
    args = p.parse_args()
    ops = set(subprocess.run([args.tinyc, "--list-ops"], capture_output=True, text=True,
                             check=True).stdout.split())
    for name in os.listdir(OUT):
        if name.endswith(".onnx"):
            os.remove(os.path.join(OUT, name))
    for model in MODELS:
        shutil.copy(os.path.join(ROOT, "examples", "mlperf", model, "model.onnx"),
                    os.path.join(OUT, model + ".onnx"))
    taken = {}
    for case in sorted(os.listdir(TESTDATA)):
        path = os.path.join(TESTDATA, case, "model.onnx")
        if not os.path.exists(path) or os.path.getsize(path) > MAX_BYTES:
            continue
        used = {n.op_type for n in onnx.load(path).graph.node}
        if not used or not used <= ops:
            continue
        key = min(used, key=lambda op: taken.get(op, 0))
        if taken.get(key, 0) >= PER_OP:
            continue
        for op in used:
            taken[op] = taken.get(op, 0) + 1
        shutil.copy(path, os.path.join(OUT, case + ".onnx"))
        bound = with_constant_inputs(onnx.load(path), os.path.join(TESTDATA, case))
        if bound is not None:
            onnx.save(bound, os.path.join(OUT, case + "_const.onnx"))
    missing = sorted(ops - set(taken))
    print("%d seeds; operators without a conformance seed: %s" %
          (len([n for n in os.listdir(OUT) if n.endswith(".onnx")]), ", ".join(missing) or "none"))


if __name__ == "__main__":
    main()
