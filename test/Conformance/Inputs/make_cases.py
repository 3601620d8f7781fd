#!/usr/bin/env python3
"""Writes a small libonnx-testdata-like folder for the tests of the conformance runner.

usage: make_cases.py OUT

OUT/node/<case>/model.onnx and test_data_set_0/{input,output}_0.pb, and empty
OUT/pytorch-converted and OUT/pytorch-operator. The references are numpy's
(Relu is max(x, 0)); a "wrong" case's reference has one element changed.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

X = np.array([[-1.5, 0.0, 2.25, -0.5], [3.0, -4.0, 0.5, 1.0]], dtype=np.float32)


def write_case(out, name, op="Relu", domain="", reference=None):
    folder = os.path.join(out, "node", name)
    os.makedirs(os.path.join(folder, "test_data_set_0"))
    node = helper.make_node(op, ["x"], ["y"], domain=domain)
    graph = helper.make_graph([node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, X.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, X.shape)])
    opsets = [helper.make_opsetid("", 13)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    onnx.save(helper.make_model(graph, opset_imports=opsets), os.path.join(folder, "model.onnx"))
    y = np.maximum(X, 0) if reference is None else reference
    for kind, name_, array in (("input", "x", X), ("output", "y", y)):
        with open(os.path.join(folder, "test_data_set_0", "%s_0.pb" % kind), "wb") as f:
            f.write(numpy_helper.from_array(array, name_).SerializeToString())
    return folder


def main(out):
    for suite in ("node", "pytorch-converted", "pytorch-operator"):
        os.makedirs(os.path.join(out, suite))
    wrong = np.maximum(X, 0)
    wrong[1, 2] = 7.0
    write_case(out, "test_relu")                                        # PASS
    write_case(out, "test_relu_listed")                                 # listed, passes: FAIL
    write_case(out, "test_relu_wrong", reference=wrong)                 # not listed: FAIL
    write_case(out, "test_relu_wrong_expected", reference=wrong)        # listed, as expected: XFAIL
    write_case(out, "test_relu_wrong_otherwise", reference=wrong)       # listed, otherwise: FAIL
    write_case(out, "test_det", op="Det")                               # not claimed: UNSUPPORTED
    write_case(out, "test_relu_other_domain", domain="com.example")     # not claimed: UNSUPPORTED
    write_case(out, "test_nonzero_claimed", op="NonZero")              # claimed, refused: FAIL
    folder = write_case(out, "test_bad_model")                          # does not load: UNRESOLVED
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(b"\xff\xff\xff\xff not a model")


if __name__ == "__main__":
    main(sys.argv[1])
