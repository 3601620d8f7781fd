#!/usr/bin/env python3
"""Compares the outputs a firmware printed with the reference outputs of its model.

usage: check_outputs.py PRINTED.txt OUTPUT_0.pb [--atol A] [--rtol R]

PRINTED.txt has lines `name[i] = value` (examples/firmware/main.c), one per element of the
model's first output, in order. It passes where every value is within atol + rtol * |ref| of
output_0.pb (ONNX Runtime's output) and the largest printed value is the reference's largest
(the same top-1); it prints one line per failure and exits 1 on any.
"""
import argparse
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("printed")
    p.add_argument("reference")
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-4)
    args = p.parse_args()
    tensor = onnx.TensorProto()
    with open(args.reference, "rb") as f:
        tensor.ParseFromString(f.read())
    ref = numpy_helper.to_array(tensor).astype(np.float64).ravel()
    got = {}
    with open(args.printed) as f:
        for line in f:
            m = re.match(r"^\w+\[(\d+)\] = (\S+)$", line.strip())
            if m:
                got[int(m.group(1))] = float(m.group(2))
    failures = []
    if sorted(got) != list(range(len(ref))):
        failures.append("printed %d values (indices %s), the reference has %d"
                        % (len(got), sorted(got)[:4], len(ref)))
    else:
        values = np.array([got[i] for i in range(len(ref))])
        for i, (g, r) in enumerate(zip(values, ref)):
            if not abs(g - r) <= args.atol + args.rtol * abs(r):
                failures.append("element %d: %r, reference %r" % (i, g, r))
        if int(np.argmax(values)) != int(np.argmax(ref)):
            failures.append("top-1 %d, reference %d" % (np.argmax(values), np.argmax(ref)))
    for failure in failures:
        print("FAIL " + failure)
    if failures:
        return 1
    print("PASS %d values" % len(ref))
    return 0


if __name__ == "__main__":
    sys.exit(main())
