"""Writes an ONNX backend-test folder: a chain of N element-wise ops on a 1x64
float tensor (Add, Mul, Relu, Sub, Sigmoid in turn; the same chain as
bench/compile_time.py) and its expected output, computed here with numpy in
double precision.

usage: chain_folder.py OUT_DIR N
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(n)
x = rng.uniform(-2, 2, (1, 64)).astype(np.float32)
y = x.astype(np.float64)
nodes, inits = [], []
prev = "x"
for i in range(n):
    op = ["Add", "Mul", "Relu", "Sub", "Sigmoid"][i % 5]
    name = "y" if i == n - 1 else "t%d" % i
    if op in ("Relu", "Sigmoid"):
        nodes.append(helper.make_node(op, [prev], [name], name="n%d" % i))
        y = np.maximum(y, 0) if op == "Relu" else 1 / (1 + np.exp(-y))
    else:
        c = rng.uniform(0.5, 1.5, (64,)).astype(np.float32)
        inits.append(numpy_helper.from_array(c, "c%d" % i))
        nodes.append(helper.make_node(op, [prev, "c%d" % i], [name], name="n%d" % i))
        y = y + c if op == "Add" else y * c if op == "Mul" else y - c
    prev = name
graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
for kind, name, value in (("input", "x", x), ("output", "y", y.astype(np.float32))):
    with open(os.path.join(out, "test_data_set_0", kind + "_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(value, name).SerializeToString())
