#!/usr/bin/env python3
"""Writes an .onnx model from ONNX's textual syntax, for the import tests.

usage: onnx_from_text.py IN OUT [--name-nodes] [--raw] [--rename OLD=NEW]...
                          [--external TENSOR=LOCATION[:OFFSET:LENGTH]]...

IN is a file holding the model in the syntax of onnx.parser.parse_model; lines starting
with `//` or `#` (lit RUN and CHECK lines, comments) are dropped first. The parser cannot
name nodes: --name-nodes names each node after its first output. --external moves an
initializer's data out of the model; --raw stores every initializer in raw_data (the
parser writes the typed fields such as float_data): the tensor gets data_location EXTERNAL with the given
location (no data file is written; the test makes one if it needs one). --rename gives a tensor a
name the textual syntax cannot spell, such as "input:0".
"""
import argparse

import onnx
import onnx.parser


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--name-nodes", action="store_true")
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--rename", action="append", default=[])
    parser.add_argument("--external", action="append", default=[])
    args = parser.parse_args()

    with open(args.input) as f:
        lines = [l for l in f if not l.lstrip().startswith(("//", "#"))]
    model = onnx.parser.parse_model("".join(lines))
    for spec in args.rename:
        old, _, new = spec.partition("=")
        graph = model.graph
        for value in list(graph.input) + list(graph.output) + list(graph.initializer):
            if value.name == old:
                value.name = new
        for node in graph.node:
            node.input[:] = [new if n == old else n for n in node.input]
            node.output[:] = [new if n == old else n for n in node.output]
    if args.name_nodes:
        for node in model.graph.node:
            node.name = node.output[0]
    if args.raw:
        from onnx import numpy_helper
        for tensor in model.graph.initializer:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor), tensor.name))
    for spec in args.external:
        name, _, where = spec.partition("=")
        location, _, rest = where.partition(":")
        tensor = next(t for t in model.graph.initializer if t.name == name)
        tensor.ClearField("float_data")
        tensor.ClearField("int32_data")
        tensor.ClearField("int64_data")
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        entry = tensor.external_data.add()
        entry.key, entry.value = "location", location
        if rest:
            offset, _, length = rest.partition(":")
            for key, value in (("offset", offset), ("length", length)):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
    onnx.save(model, args.output)


if __name__ == "__main__":
    main()
