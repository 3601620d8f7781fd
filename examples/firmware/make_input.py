#!/usr/bin/env python3
"""Writes kws_input.c, the firmware's input, from an ONNX TensorProto (input_0.pb).

usage: make_input.py INPUT.pb > kws_input.c

The values are C99 hexadecimal float literals, exactly the tensor's float32 values.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    tensor = onnx.TensorProto()
    with open(sys.argv[1], "rb") as f:
        tensor.ParseFromString(f.read())
    values = numpy_helper.to_array(tensor).astype(np.float32).ravel()
    print("/* The input of the firmware's model: test_data_set_0/input_0.pb of")
    print(" * examples/mlperf/mlperf_kws_dscnn_qdq, written by make_input.py. */")
    print('#include "kws.h"')
    print()
    print("const KWS_INPUT0_CTYPE kws_input[KWS_INPUT0_COUNT] = {")
    for start in range(0, len(values), 4):
        chunk = values[start:start + 4]
        print("    " + " ".join(float(v).hex() + "f," for v in chunk))
    print("};")


if __name__ == "__main__":
    main()
