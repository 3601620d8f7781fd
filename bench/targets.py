#!/usr/bin/env python3
"""The bundled MLPerf Tiny models on several targets side by side (default: cortex-m7, cortex-m55).

usage: bench/targets.py [--tinyc PATH] [--targets T,T,...]  (prints a Markdown table)

Every figure is measured in this run with tools/tinyc-run --count: the exact instruction count of
the first model call on the target's QEMU board, .text/.rodata of model.o and the arena from the
header; a run whose outputs do not match ONNX Runtime's is marked FAIL.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MLPERF = os.path.join(ROOT, "examples", "mlperf")
RUNNER = os.path.join(ROOT, "tools", "tinyc-run", "tinyc-run")
MODELS = ["kws_dscnn_qdq", "ic_resnet8_qdq", "vww_mobilenetv1_qdq", "ad_autoencoder_qdq",
          "vww_mobilenetv1_f32"]


def run(model, target, tinyc):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        cmd = [sys.executable, RUNNER, os.path.join(MLPERF, "mlperf_" + model),
               "-target=" + target, "--json", out, "--count"]
        if tinyc:
            cmd += ["--tinyc", tinyc]
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            return json.load(f)["data_sets"][0]


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tinyc")
    p.add_argument("--targets", default="cortex-m7,cortex-m55")
    args = p.parse_args(argv)
    targets = args.targets.split(",")
    print("| model | target | instructions | against %s | .text | .rodata | arena | outputs |" % targets[0])
    print("|---|---|---|---|---|---|---|---|")
    for model in MODELS:
        base = None
        for target in targets:
            r = run(model, target, args.tinyc)
            s = r["sizes"]
            base = base or r["instructions"]
            print("| %s | %s | %s | %.2fx | %s | %s | %s | %s |" % (
                model, target, f"{r['instructions']:,}", r["instructions"] / base, f"{s['text']:,}",
                f"{s['rodata']:,}", f"{s['arena']:,}", "pass" if r["pass"] else "FAIL"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
