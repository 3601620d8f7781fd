#!/usr/bin/env python3
"""Writes OUT/model.onnx, a float depthwise 3x3 convolution (16 channels, 8x8 image, padding 1,
bias) followed by Relu, and OUT/test_data_set_0 with a random input and numpy's output
(computed in float64, rounded to float32), the reference tinyc-run compares with.

usage: make_depthwise.py OUT
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

C, H, W = 16, 8, 8


def main(out):
    rng = np.random.default_rng(55)
    w = rng.uniform(-1, 1, (C, 1, 3, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, C).astype(np.float32)
    x = rng.uniform(-1, 1, (1, C, H, W)).astype(np.float32)
    padded = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.zeros((1, C, H, W))
    for i in range(3):
        for j in range(3):
            y += w[None, :, 0, i, j, None, None] * padded[:, :, i:i + H, j:j + W]
    y = np.maximum(y + b[None, :, None, None], 0).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="depthwise", group=C,
                          pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["y"], name="relu")], "depthwise",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y.shape)],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    data = os.path.join(out, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    for name, array in (("input_0.pb", numpy_helper.from_array(x, "x")),
                        ("output_0.pb", numpy_helper.from_array(y, "y"))):
        with open(os.path.join(data, name), "wb") as f:
            f.write(array.SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1])
