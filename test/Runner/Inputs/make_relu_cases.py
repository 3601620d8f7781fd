#!/usr/bin/env python3
"""Writes ONNX backend-test folders of one float Relu for the tests of tinyc-run and
ort-reference: OUT/relu with numpy's reference (max(x, 0)), and copies whose reference differs
from what the model computes in its element type only (relu_double: DOUBLE, the same values)
or its shape only (relu_shape: 1x8, the same values).

usage: make_relu_cases.py OUT
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

X = np.array([[-1.5, 0.0, 2.25, -0.5], [3.0, -4.0, 0.5, 1.0]], dtype=np.float32)


def write_case(folder, reference):
    os.makedirs(os.path.join(folder, "test_data_set_0"))
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, X.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, X.shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for kind, name, array in (("input", "x", X), ("output", "y", reference)):
        with open(os.path.join(folder, "test_data_set_0", "%s_0.pb" % kind), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())


def main(out):
    y = np.maximum(X, 0)
    write_case(os.path.join(out, "relu"), y)
    write_case(os.path.join(out, "relu_double"), y.astype(np.float64))
    write_case(os.path.join(out, "relu_shape"), y.reshape(1, 8))


if __name__ == "__main__":
    main(sys.argv[1])
