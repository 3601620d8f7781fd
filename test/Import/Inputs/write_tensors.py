"""Writes float32 TensorProto files for hand-checked test data.

usage: write_tensors.py FOLDER NAME=v1,v2,... [NAME=...]...
Each NAME becomes FOLDER/NAME.pb, a 1-d float tensor of the values as written.
"""
import os
import sys

import numpy as np
from onnx import numpy_helper

folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
for spec in sys.argv[2:]:
    name, _, values = spec.partition("=")
    array = np.array([float(v) for v in values.split(",")], dtype=np.float32)
    with open(os.path.join(folder, name + ".pb"), "wb") as f:
        f.write(numpy_helper.from_array(array).SerializeToString())
