#!/usr/bin/env python3
"""Measures tinyc on the Cortex-M7 (QEMU mps2-an500) and prints Markdown tables.

usage: bench/bench.py [SECTION...] [--tinyc PATH] [--work DIR] [--target NAME] > docs/bench.md

Sections (default: all, in this order):
  mlperf     the bundled MLPerf Tiny models: default pipeline, no optional pass, and each
             pass that fires switched off alone
  sparsity   magnitude-pruned VWW/ResNet-8/DS-CNN (scripts/compression) with dense, arrays
             and the cost model's choice (auto) of kernels
  costmodel  per layer of the pruned models: the sparsity cost model's estimates against the
             instructions measured with each kernel forced
  binary     bit-packed binary nets against their float twins
  factorize  separable and low-rank convolutions with and without tinyc-factorize-conv
  popcount   bench/popcount/run.sh
  compile    bench/compile_time.py: the compiler's own time and memory against the graph's size

Every figure is measured in this run: instructions of the first model call counted exactly by
the insncount QEMU plugin (tools/tinyc-run --count/--layers), .text/.rodata bytes of model.o
(llvm-size -A) and the arena from the generated header. Each run also compares the outputs
with the reference (ONNX Runtime's, stored next to the model); the tables say when one fails.
Generated models go to WORK (default build/bench), regenerated when missing.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MLPERF = os.path.join(ROOT, "examples", "mlperf")
COMPRESSION = os.path.join(ROOT, "scripts", "compression")
SECTIONS = ["mlperf", "sparsity", "costmodel", "binary", "factorize", "popcount", "compile"]


class Bench:
    def __init__(self, args):
        self.tinyc = args.tinyc
        self.target = args.target
        self.work = args.work
        self.scratch = tempfile.mkdtemp(prefix="tinyc-bench-")

    def report(self, model, tinyc_args):
        """tinyc --report=json of MODEL compiled with TINYC_ARGS."""
        out = os.path.join(self.scratch, "report.o")
        text = subprocess.run([self.tinyc, model, "-target=" + self.target, "-o", out,
                               "--header=none", "--report=json"] + tinyc_args,
                              check=True, capture_output=True, text=True).stdout
        return json.loads(text)

    def run(self, model, tinyc_args=(), layers=False, tolerance=()):
        """tinyc-run's summary of the first data set: sizes, instructions, layers, pass."""
        summary = os.path.join(self.scratch, "run.json")
        cmd = [os.path.join(ROOT, "tools", "tinyc-run", "tinyc-run"), model,
               "-target=" + self.target, "--tinyc", self.tinyc, "--json", summary,
               "--layers" if layers else "--count"] + list(tolerance)
        if tinyc_args:
            cmd += ["--"] + list(tinyc_args)
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode not in (0, 1):
            sys.exit("bench: %s failed:\n%s%s" % (" ".join(cmd), result.stdout, result.stderr))
        with open(summary) as f:
            data = json.load(f)["data_sets"][0]
        data["max_abs_error"] = max((o["max_abs_error"] or 0.0) for o in data["outputs"])
        return data

    def generated(self, kind, command):
        """WORK/KIND, made by COMMAND (a list ending with the output folder) when missing."""
        folder = os.path.join(self.work, kind)
        if not os.path.isdir(folder):
            os.makedirs(self.work, exist_ok=True)
            subprocess.run(command + [folder], check=True, stdout=subprocess.DEVNULL)
        return folder


def kilo(n):
    return "%.1f K" % (n / 1024.0) if n >= 1024 else str(n)


def mega(n):
    return "{:,}".format(n)


def status(run):
    return "" if run["pass"] else " **FAIL**"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def passes_fired(report):
    fired = set()
    for layer in report["layers"]:
        for entry in layer["applied"]:
            fired.add("tinyc-" + entry.split(":")[0])
    return fired


def section_mlperf(b):
    passes = subprocess.run([b.tinyc, "--list-passes"], check=True, capture_output=True,
                            text=True).stdout.split()
    out = ["## MLPerf Tiny models\n",
           "Default pipeline, all optional passes off (`--disable-pass` for each of %s), and each "
           "pass that fires on the model switched off alone. The QDQ models run as float with "
           "int8 fake quantization at the QDQ points; outputs are compared with ONNX Runtime "
           "within one quantization step.\n" % ", ".join("`%s`" % p for p in passes)]
    rows = []
    for name in sorted(os.listdir(MLPERF)):
        folder = os.path.join(MLPERF, name)
        if not os.path.isdir(folder):
            continue
        model = os.path.join(folder, "model.onnx")
        default = b.report(model, [])
        settings = [("default", [])]
        settings.append(("no optional pass", ["--disable-pass=" + p for p in passes]))
        settings += [("without " + p, ["--disable-pass=" + p])
                     for p in passes if p in passes_fired(default)]
        macs = default["totals"]["macs_before"]
        for label, flags in settings:
            run = b.run(folder, flags, tolerance=["--quant-steps", "1"])
            kernels = b.report(model, flags)["totals"]["kernels_after"]
            sizes = run["sizes"]
            rows.append([name.replace("mlperf_", ""), label, mega(run["instructions"]) + status(run),
                         "%.2f" % (run["instructions"] / macs), kernels, kilo(sizes["text"]),
                         kilo(sizes["rodata"]), mega(sizes["arena"])])
    out.append(table(["model", "setting", "instructions", "insns/MAC", "kernels", ".text",
                      ".rodata", "arena B"], rows))
    return "\n".join(out)


def pruned_models(b):
    return b.generated("pruned", ["bash", os.path.join(COMPRESSION, "make_pruned_models.sh")])


def section_sparsity(b):
    folder = pruned_models(b)
    out = ["## Pruned weights\n",
           "Magnitude-pruned copies (per-layer sparsity; IC and KWS converted to float first) "
           "from `scripts/compression/make_pruned_models.sh`. *off*: "
           "`--disable-pass=tinyc-sparsify-weights`, every weight stored and multiplied; "
           "*channels*: `--sparse-kernel=dense`, only the structured part (channels whose "
           "weights are all zero removed); *arrays*: every layer with zeros as value/offset "
           "arrays; *auto*: the default, channel removal plus the cost model's choice per "
           "layer. Speedup and sizes: auto against off.\n"]
    rows = []
    for name in sorted(os.listdir(folder)):
        settings = {"off": ["--disable-pass=tinyc-sparsify-weights"]}
        settings.update({k: ["--sparse-kernel=" + k] for k in ("dense", "arrays", "auto")})
        runs = {k: b.run(os.path.join(folder, name), flags) for k, flags in settings.items()}
        o, d, a, s = runs["off"], runs["dense"], runs["arrays"], runs["auto"]
        rows.append([name] + [mega(r["instructions"]) + status(r) for r in (o, d, a, s)] +
                    ["%.2fx" % (o["instructions"] / s["instructions"]),
                     kilo(o["sizes"]["rodata"]), kilo(s["sizes"]["rodata"]),
                     kilo(o["sizes"]["text"]), kilo(s["sizes"]["text"])])
    out.append(table(["model", "off insns", "channels insns", "arrays insns", "auto insns",
                      "speedup", "off .rodata", "auto .rodata", "off .text", "auto .text"], rows))
    return "\n".join(out)


ESTIMATE = re.compile(r"estimated instructions dense (\d+) arrays (\d+) unrolled (\d+) \((.*)\)")


def section_costmodel(b):
    folder = pruned_models(b)
    out = ["## Sparsity cost model against measurements\n",
           "For every layer that `tinyc-sparsify-weights` rewrites when forced to arrays "
           "(`--sparse-kernel=arrays`), the cost model's estimates (from `--report=json`) next to "
           "the instructions measured per layer (`tinyc-run --layers`) with dense and with array "
           "kernels. *right* counts the layers where the cheaper estimate is the cheaper "
           "measurement; *lost* is what the wrong choices cost in total against the better "
           "kernel.\n"]
    rows, detail, raw = [], [], []
    for name in sorted(os.listdir(folder)):
        model = os.path.join(folder, name)
        report = b.report(os.path.join(model, "model.onnx"), ["--sparse-kernel=arrays"])
        estimates = {}
        for layer in report["layers"]:
            for entry in layer["applied"]:
                m = ESTIMATE.search(entry)
                if m:
                    words = m.group(4).split()
                    inputs = {k: int(v) for k, v in zip(words[::2], words[1::2])}
                    estimates[layer["node"]] = (float(m.group(1)), float(m.group(2)), inputs)
        measured = {}
        for kernel in ("dense", "arrays"):
            run = b.run(model, ["--sparse-kernel=" + kernel], layers=True)
            for layer in run["layers"]:
                node = layer["node"].rsplit(" (", 1)[0]
                measured.setdefault(node, {})[kernel] = layer["instructions"]
                if kernel == "dense":
                    measured[node]["macs"] = layer["macs"]
                    measured[node]["op"] = layer["op"]
        right, lost, ratios_d, ratios_a = 0, 0, [], []
        for node, (est_d, est_a, inputs) in estimates.items():
            m = measured.get(node, {})
            if "dense" not in m or "arrays" not in m:
                continue
            ratios_d.append(est_d / m["dense"])
            ratios_a.append(est_a / m["arrays"])
            if (est_a < est_d) == (m["arrays"] < m["dense"]):
                right += 1
            else:
                lost += abs(m["arrays"] - m["dense"])
            raw.append({"model": name, "node": node, "macs": m.get("macs", 0), "op": m.get("op"),
                        "inputs": inputs,
                        "estimated": {"dense": est_d, "arrays": est_a},
                        "measured": {"dense": m["dense"], "arrays": m["arrays"]}})
            detail.append([name, node[-40:], mega(int(est_d)), mega(m["dense"]), mega(int(est_a)),
                           mega(m["arrays"]), "arrays" if est_a < est_d else "dense",
                           "arrays" if m["arrays"] < m["dense"] else "dense"])
        if not ratios_d:
            continue
        ratios_d.sort()
        ratios_a.sort()
        rows.append([name, len(ratios_d), "%d/%d" % (right, len(ratios_d)), mega(lost),
                     "%.2f .. %.2f" % (ratios_d[0], ratios_d[-1]),
                     "%.2f .. %.2f" % (ratios_a[0], ratios_a[-1])])
    with open(os.path.join(b.work, "costmodel.json"), "w") as f:
        json.dump(raw, f, indent=1)
    out.append(table(["model", "layers", "right", "lost insns", "dense est/measured",
                      "arrays est/measured"], rows))
    out.append("\n<details><summary>Per layer</summary>\n\n" +
               table(["model", "layer", "dense est", "dense measured", "arrays est",
                      "arrays measured", "cheaper est", "cheaper measured"], detail) +
               "\n</details>\n")
    return "\n".join(out)


def info(folder):
    with open(os.path.join(folder, "info.json")) as f:
        return json.load(f)


def section_binary(b):
    folder = b.generated("binary", [sys.executable, os.path.join(COMPRESSION, "make_binary_nets.py")])
    out = ["## Binary layers\n",
           "BinaryNet-style nets (Sign, then Conv/Gemm with +-1 or +-alpha weights) from "
           "`scripts/compression/make_binary_nets.py`, packed by `tinyc-pack-binary-weights` into "
           "XNOR/popcount code, against their float twins (same shapes, real weights, left "
           "dense). Binary outputs must match ONNX Runtime exactly.\n"]
    rows = []
    for name in sorted(os.listdir(folder)):
        if name.endswith("_float"):
            continue
        binary = b.run(os.path.join(folder, name), tolerance=["--atol", "0", "--rtol", "0"])
        twin = b.run(os.path.join(folder, name + "_float"))
        rows.append([name, mega(info(os.path.join(folder, name))["macs"]),
                     mega(binary["instructions"]) + status(binary),
                     mega(twin["instructions"]) + status(twin),
                     "%.2fx" % (twin["instructions"] / binary["instructions"]),
                     kilo(binary["sizes"]["rodata"]), kilo(twin["sizes"]["rodata"]),
                     kilo(binary["sizes"]["text"]), kilo(twin["sizes"]["text"])])
    out.append(table(["net", "MACs", "binary insns", "float twin insns", "speedup",
                      "binary .rodata", "float .rodata", "binary .text", "float .text"], rows))
    return "\n".join(out)


def section_factorize(b):
    folder = b.generated("separable",
                         [sys.executable, os.path.join(COMPRESSION, "make_separable_convs.py")])
    out = ["## Convolution factorization\n",
           "Single-Conv models from `scripts/compression/make_separable_convs.py` with and "
           "without `tinyc-factorize-conv`; `lowrank_5x5` (rank 2 plus noise) only factorizes "
           "with `--factorize-tolerance=1e-2`, so its row uses that and shows the output error.\n"]
    rows = []
    for name in sorted(os.listdir(folder)):
        extra = ["--factorize-tolerance=1e-2"] if name.startswith("lowrank") else []
        loose = ["--atol", "1"] if extra else []
        on = b.run(os.path.join(folder, name), extra, tolerance=loose)
        off = b.run(os.path.join(folder, name), ["--disable-pass=tinyc-factorize-conv"])
        fired = "tinyc-factorize-conv" in passes_fired(
            b.report(os.path.join(folder, name, "model.onnx"), extra))
        rows.append([name, "yes" if fired else "no", mega(off["instructions"]) + status(off),
                     mega(on["instructions"]) + status(on),
                     "%.2fx" % (off["instructions"] / on["instructions"]),
                     "%.2g" % on["max_abs_error"]])
    out.append(table(["model", "factorized", "insns without", "insns with", "speedup",
                      "max abs error"], rows))
    return "\n".join(out)


def section_popcount(b):
    text = subprocess.run(["bash", os.path.join(HERE, "popcount", "run.sh")], check=True,
                          capture_output=True, text=True).stdout
    return ("## Popcount on the Cortex-M7\n\nThe M7 has no popcount instruction; "
            "`bench/popcount/run.sh` counts three software sequences over 4096 words.\n\n```\n" +
            text + "```\n")


def section_compile(b):
    text = subprocess.run([sys.executable, os.path.join(HERE, "compile_time.py"), "--tinyc",
                           b.tinyc, "--target", b.target], check=True, stdout=subprocess.PIPE,
                          text=True).stdout
    return ("## Compile time\n\nThe compiler's own cost against the size of the graph: chains "
            "of element-wise ops (500 to 5,000 nodes) and the bundled models. "
            "`tinyc-outline-layers` gives each loop nest a function of its own, so that LLVM's "
            "optimizer and code generator, superlinear in a function's size, stay linear in the "
            "graph's.\n\n" + text)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sections", nargs="*", metavar="SECTION", help=" ".join(SECTIONS))
    p.add_argument("--tinyc", default=os.path.join(ROOT, "build", "bin", "tinyc"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    p.add_argument("--target", default="cortex-m7")
    args = p.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        p.error("unknown section(s) %s; known: %s" % (", ".join(unknown), ", ".join(SECTIONS)))
    bench = Bench(args)
    version = subprocess.run([bench.tinyc, "--version"], capture_output=True, text=True).stdout
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print("# tinyc benchmarks on %s\n" % args.target)
    command = " ".join(["bench/bench.py"] + args.sections)
    print("Generated by `%s` at commit %s (%s). Instructions are those of the first model call, "
          "counted exactly by the insncount plugin on QEMU's mps2-an500; `.text` and `.rodata` are "
          "model.o's sections (llvm-size -A; both go to flash); the arena is "
          "`MODEL_ARENA_BYTES` from the generated header. Every run also checks the outputs "
          "against the reference; a failing one would be marked **FAIL**.\n" % (
              command, commit, version.strip().splitlines()[0] if version else "?"))
    for section in args.sections or SECTIONS:
        print(globals()["section_" + section](bench), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
