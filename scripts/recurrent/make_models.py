#!/usr/bin/env python3
"""Writes recurrent-layer test models (RNN, GRU, LSTM) as backend-test folders with ONNX
Runtime's outputs, for test/Import/recurrent.test: the forms ONNX's conformance cases leave out
(reverse and bidirectional directions, unequal sequence_lens, clip, linear_before_reset,
input_forget, activation lists with alpha and beta) and a keyword-spotting-sized LSTM whose
weights are initializers. (Layout 1 is in the conformance cases *_batchwise; ONNX Runtime 1.30
refuses it.)

usage: make_models.py OUT [--only NAME]...
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "compression"))
import common  # noqa: E402
import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def recurrent(op, seq, batch, inputs, hidden, direction="forward", layout=0, lengths=None,
              initial=False, peepholes=False, outputs=("Y", "Y_h"), **attrs):
    def build(name, rng):
        d = 2 if direction == "bidirectional" else 1
        g = GATES[op]
        x_shape = [seq, batch, inputs] if layout == 0 else [batch, seq, inputs]
        state = [d, batch, hidden] if layout == 0 else [batch, d, hidden]
        inits = [numpy_helper.from_array((rng.standard_normal((d, g * hidden, inputs)) * 0.5).astype(np.float32), "W"),
                 numpy_helper.from_array((rng.standard_normal((d, g * hidden, hidden)) * 0.5).astype(np.float32), "R"),
                 numpy_helper.from_array((rng.standard_normal((d, 2 * g * hidden)) * 0.5).astype(np.float32), "B")]
        node_inputs = ["X", "W", "R", "B", "", "", "", ""]
        graph_inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
        data = [rng.standard_normal(x_shape).astype(np.float32)]
        if lengths is not None:
            inits.append(numpy_helper.from_array(np.array(lengths, np.int32), "sequence_lens"))
            node_inputs[4] = "sequence_lens"
        if initial:
            node_inputs[5] = "initial_h"
            graph_inputs.append(helper.make_tensor_value_info("initial_h", TensorProto.FLOAT, state))
            data.append(rng.standard_normal(state).astype(np.float32))
            if op == "LSTM":
                node_inputs[6] = "initial_c"
                graph_inputs.append(helper.make_tensor_value_info("initial_c", TensorProto.FLOAT, state))
                data.append(rng.standard_normal(state).astype(np.float32))
        if peepholes:
            inits.append(numpy_helper.from_array(rng.standard_normal((d, 3 * hidden)).astype(np.float32), "P"))
            node_inputs[7] = "P"
        while node_inputs and node_inputs[-1] == "":
            node_inputs.pop()
        if layout:
            attrs["layout"] = layout
        node = helper.make_node(op, node_inputs, list(outputs), hidden_size=hidden,
                                direction=direction, **attrs)
        y_shape = [seq, d, batch, hidden] if layout == 0 else [batch, seq, d, hidden]
        shapes = {"Y": y_shape, "Y_h": state, "Y_c": state}
        graph = helper.make_graph([node], name, graph_inputs,
                                  [helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes[o])
                                   for o in outputs if o], inits)
        model = helper.make_model(graph, producer_name="tinyc-recurrent",
                                  opset_imports=[helper.make_opsetid("", 14)])
        model.ir_version = common.IR_VERSION
        return model, data
    return build


MODELS = {
    "lstm_bidirectional_lengths": recurrent("LSTM", 5, 3, 4, 6, "bidirectional", lengths=[5, 3, 1],
                                            initial=True, peepholes=True, clip=2.5,
                                            outputs=("Y", "Y_h", "Y_c")),
    "lstm_reverse_forget": recurrent("LSTM", 4, 2, 3, 5, "reverse", input_forget=1,
                                     activations=["HardSigmoid", "Tanh", "Softsign"],
                                     activation_alpha=[0.3], activation_beta=[0.4],
                                     outputs=("Y", "Y_h", "Y_c")),
    "gru_reverse_linear_before_reset": recurrent("GRU", 6, 2, 3, 4, "reverse", linear_before_reset=1,
                                                 initial=True),
    "gru_bidirectional_lengths": recurrent("GRU", 5, 3, 4, 3, "bidirectional", lengths=[2, 5, 4]),
    "gru_activations": recurrent("GRU", 3, 2, 4, 3, "forward", initial=True,
                                 activations=["Sigmoid", "Elu"], activation_alpha=[0.7]),
    "rnn_bidirectional_activations": recurrent("RNN", 4, 2, 3, 5, "bidirectional",
                                               activations=["Relu", "LeakyRelu"], activation_alpha=[0.2],
                                               clip=1.5),
    "rnn_reverse_affine": recurrent("RNN", 4, 2, 3, 5, "reverse", activations=["ScaledTanh"],
                                    activation_alpha=[1.5], activation_beta=[0.5], initial=True),
    "lstm_kws": recurrent("LSTM", 25, 1, 10, 16, "forward", outputs=("", "Y_h")),
}


def main():
    out, chosen = common.parse_selection(sys.argv[1:], __doc__, MODELS, "model")
    for name in chosen:
        model, inputs = MODELS[name](name, common.rng_for(name))
        outputs = common.write_folder(os.path.join(out, name), model, inputs)
        print("%s: %s" % (name, ", ".join("%s %s" % (n, list(a.shape)) for n, a in outputs)))


if __name__ == "__main__":
    main()
