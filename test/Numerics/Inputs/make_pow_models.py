#!/usr/bin/env python3
"""Writes ONNX backend-test folders for the forms of Pow that libonnx-testdata 1.12 has no case
of: float32 special values (signed zeros, infinities, NaN, negative bases, overflow and
underflow), integer powers that wrap around, and an integer base with a float exponent.

usage: make_pow_models.py OUT

The references are numpy's (ONNX's reference: np.power, then astype to the base's type),
except for integers to negative powers, where numpy raises: those are the values tinyc defines
(docs/edge-cases.md), written out here by hand.
"""
import os
import sys

import numpy as np
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_composed_models import write_case  # noqa: E402

RNG = np.random.default_rng(20261208)


def main(out):
    node = helper.make_node
    inf, nan = np.inf, np.nan
    # C99's special cases (which numpy's float32 power follows), then ordinary values
    xs = [-2.0, -2.0, -0.0, 0.0, -0.0, inf, -inf, -inf, nan, 1.0, -1.0, 2.0, 0.5, -8.0, 10.0]
    ys = [3.0, 0.5, -1.0, -1.0, 2.0, -2.0, 3.0, -2.0, 0.0, nan, inf, 128.0, -150.0, 1.0 / 3, -45.0]
    x = np.concatenate([np.array(xs, dtype=np.float32),
                        RNG.uniform(0.05, 4.0, 25).astype(np.float32)])
    y = np.concatenate([np.array(ys, dtype=np.float32),
                        RNG.uniform(-6.0, 6.0, 25).astype(np.float32)])
    with np.errstate(all="ignore"):
        z = np.power(x, y)
    write_case(out, "pow_float", [node("Pow", ["x", "y"], ["z"])], [("x", x), ("y", y)], ["z"],
               15, references=[("z", z)])

    # Integers: numpy's power wraps around like tinyc's; to a negative power it raises, so
    # those results are tinyc's (the truncated 1 / x^-y: 1 for 1, +-1 for -1, else 0).
    for name, dtype, big in (("pow_int32", np.int32, 31), ("pow_int64", np.int64, 63)):
        xp = np.array([3, -2, 7, 2, 0, 5, -3, 1, 2], dtype=dtype)
        yp = np.array([4, big, 12, big + 2, 0, 0, 3, 1000, big - 1], dtype=dtype)
        xn = np.array([1, -1, -1, 2, 0, -3, 1], dtype=dtype)
        yn = np.array([-3, -3, -2, -1, -2, -1, -1000], dtype=dtype)
        zn = np.array([1, -1, 1, 0, 0, 0, 1], dtype=dtype)
        with np.errstate(all="ignore"):
            zp = np.power(xp, yp)
        write_case(out, name, [node("Pow", ["x", "y"], ["z"])],
                   [("x", np.concatenate([xp, xn])), ("y", np.concatenate([yp, yn]))], ["z"], 15,
                   references=[("z", np.concatenate([zp, zn]))])

    # An integer base with a float exponent: computed in floating point, truncated back.
    xi = np.array([2, 3, 5, -2, 10, 7], dtype=np.int32)
    yf = np.array([0.5, 2.5, -1.0, 3.0, 6.0, 1.5], dtype=np.float32)
    write_case(out, "pow_int_float", [node("Pow", ["x", "y"], ["z"])], [("x", xi), ("y", yf)],
               ["z"], 15, references=[("z", np.power(xi, yf).astype(np.int32))])


if __name__ == "__main__":
    main(sys.argv[1])
