#!/usr/bin/python3
"""Measures tinyc's own compile time and peak memory and prints a Markdown table.

usage: bench/compile_time.py [--tinyc PATH] [--target NAME] [--work DIR] [--nodes N,N,...]
                             [--repeat K] [-O LEVEL] [--tinyc-option OPTION]...

Two kinds of models:
  chain-N   N chained element-wise ops on a 1x64 float tensor (Add, Mul, Relu, Sub, Sigmoid in
            turn, constants of their own), generated into WORK (default build/bench-compile);
            nodes 500 to 5,000 by default
  mlperf    the bundled MLPerf Tiny models (examples/mlperf)

Each compile is `tinyc MODEL -target=TARGET -OLEVEL -o WORK/out.o`; the table gives the best
wall and CPU time of K runs (default 1) and the peak resident memory (wait4's rusage of the
child). Each
object is checked to define <name>_run (llvm-nm), so that a failed compile cannot pass as fast.
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MLPERF = os.path.join(ROOT, "examples", "mlperf")
OPS = ["Add", "Mul", "Relu", "Sub", "Sigmoid"]


def chain_model(n, path):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(n)
    nodes, inits = [], []
    prev = "x"
    for i in range(n):
        op = OPS[i % len(OPS)]
        out = "y" if i == n - 1 else "t%d" % i
        if op in ("Relu", "Sigmoid"):
            nodes.append(helper.make_node(op, [prev], [out], name="n%d" % i))
        else:
            c = "c%d" % i
            inits.append(numpy_helper.from_array(
                rng.uniform(0.5, 1.5, (64,)).astype(np.float32), c))
            nodes.append(helper.make_node(op, [prev, c], [out], name="n%d" % i))
        prev = out
    graph = helper.make_graph(
        nodes, "chain%d" % n,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


def measure(tinyc, model, target, opt, out, repeat, extra=()):
    best, cpu, peak = None, None, 0
    for _ in range(repeat):
        start = time.monotonic()
        proc = subprocess.Popen([tinyc, model, "-target=" + target, "-O" + opt, "-name=m",
                                 "--header=none", "-o", out] + list(extra),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        err = proc.stderr.read()
        # wait4 gives this child's own rusage: its peak resident set.
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            sys.exit("tinyc failed on %s:\n%s" % (model, err))
        peak = max(peak, usage.ru_maxrss)
        best = elapsed if best is None else min(best, elapsed)
        used = usage.ru_utime + usage.ru_stime
        cpu = used if cpu is None else min(cpu, used)
    nm = subprocess.run(["llvm-nm-19", "--defined-only", out], stdout=subprocess.PIPE, text=True)
    if " m_run" not in nm.stdout:
        sys.exit("%s does not define m_run" % out)
    return best, cpu, peak


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tinyc", default=os.path.join(ROOT, "build", "bin", "tinyc"))
    p.add_argument("--target", default="cortex-m7")
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench-compile"))
    p.add_argument("--nodes", default="500,1000,2000,3000,4000,5000")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("-O", dest="opt", default="2")
    p.add_argument("--no-mlperf", action="store_true")
    p.add_argument("--tinyc-option", action="append", default=[],
                   help="one more tinyc option, e.g. --disable-pass=tinyc-fuse-elementwise (repeatable)")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    out = os.path.join(args.work, "out.o")
    rows = []
    for n in [int(x) for x in args.nodes.split(",") if x]:
        path = os.path.join(args.work, "chain-%d.onnx" % n)
        if not os.path.exists(path):
            chain_model(n, path)
        rows.append(("chain-%d" % n, n) + measure(args.tinyc, path, args.target, args.opt, out,
                                                   args.repeat, args.tinyc_option))
        print("%s: %.2f s" % (rows[-1][0], rows[-1][2]), file=sys.stderr)
    if not args.no_mlperf:
        import onnx
        for name in sorted(os.listdir(MLPERF)):
            path = os.path.join(MLPERF, name, "model.onnx")
            if not os.path.exists(path):
                continue
            nodes = len(onnx.load(path, load_external_data=False).graph.node)
            rows.append((name.replace("mlperf_", ""), nodes) +
                        measure(args.tinyc, path, args.target, args.opt, out, args.repeat,
                                args.tinyc_option))
            print("%s: %.2f s" % (rows[-1][0], rows[-1][2]), file=sys.stderr)
    version = subprocess.run([args.tinyc, "--version"], stdout=subprocess.PIPE,
                             text=True).stdout.strip().splitlines()
    options = "".join(" --tinyc-option=" + o for o in args.tinyc_option)
    print("`bench/compile_time.py --target %s -O%s%s` (%s); wall and CPU (user + system) time of `tinyc -O%s`, "
          "best of %d, and the process's peak resident memory. On a shared machine the CPU time is "
          "the figure to compare." % (args.target, args.opt, options,
                                                       version[-1] if version else "tinyc",
                                                       args.opt, args.repeat))
    print()
    print("| model | ONNX nodes | wall s | CPU s | peak MB |")
    print("|---|---|---|---|---|")
    for name, nodes, secs, cpu, peak in rows:
        print("| %s | %s | %.2f | %.2f | %d |" % (name, "{:,}".format(nodes), secs, cpu,
                                                  peak // 1024))


if __name__ == "__main__":
    main()
