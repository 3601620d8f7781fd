#!/usr/bin/env python3
"""Writes the classic machine-learning test models (ai.onnx.ml, as skl2onnx writes them) as
backend-test folders with ONNX Runtime's outputs, for test/Import/classic-ml.test.

usage: make_models.py OUT [--only NAME]...

Each model is one operator (or a short skl2onnx-style pipeline) with random parameters and an
input that reaches its edge cases: values exactly at a threshold, NaNs to impute, a row of
zeros for Normalizer, ties between class scores. The data comes from a generator seeded by the
folder's name.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "compression"))
import common  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

ML_OPSET = 1


def model_of(name, nodes, inputs, outputs):
    """A model importing the default domain (opset common.OPSET) and ai.onnx.ml version 1."""
    graph = helper.make_graph(nodes, name, inputs, outputs)
    model = helper.make_model(graph, producer_name="tinyc-classic-ml", opset_imports=[
        helper.make_opsetid("", common.OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    model.ir_version = common.IR_VERSION
    return model


def tensor(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def ml(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, domain="ai.onnx.ml", **attrs)


def floats(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def scaler(name, rng):
    x = floats(rng, 4, 6)
    node = ml("Scaler", ["X"], ["Y"], offset=floats(rng, 6).tolist(), scale=floats(rng, 6).tolist())
    return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [4, 6])],
                    [tensor("Y", TensorProto.FLOAT, [4, 6])]), [x]


def scaler_int64(name, rng):
    x = rng.integers(-1000, 1000, size=(3, 5)).astype(np.int64)
    node = ml("Scaler", ["X"], ["Y"], offset=[12.5], scale=[0.01])
    return model_of(name, [node], [tensor("X", TensorProto.INT64, [3, 5])],
                    [tensor("Y", TensorProto.FLOAT, [3, 5])]), [x]


def binarizer(name, rng):
    x = floats(rng, 4, 6)
    x[0, :3] = 0.25  # exactly the threshold: not above it
    node = ml("Binarizer", ["X"], ["Y"], threshold=0.25)
    return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [4, 6])],
                    [tensor("Y", TensorProto.FLOAT, [4, 6])]), [x]


def normalizer(norm):
    def build(name, rng):
        x = floats(rng, 5, 7)
        x[2] = 0.0               # a zero divisor: the row is copied
        x[3] = -np.abs(x[3])     # all negative: MAX divides by a negative maximum
        node = ml("Normalizer", ["X"], ["Y"], norm=norm)
        return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [5, 7])],
                        [tensor("Y", TensorProto.FLOAT, [5, 7])]), [x]
    return build


def imputer_nan(name, rng):
    x = floats(rng, 4, 5)
    x[0, 1] = x[2, 4] = x[3, 0] = np.nan
    node = ml("Imputer", ["X"], ["Y"], imputed_value_floats=floats(rng, 5).tolist(),
              replaced_value_float=float("nan"))
    return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [4, 5])],
                    [tensor("Y", TensorProto.FLOAT, [4, 5])]), [x]


def imputer_value(name, rng):
    x = np.round(floats(rng, 4, 5))
    x[1, 1] = x[3, 2] = -1.0
    node = ml("Imputer", ["X"], ["Y"], imputed_value_floats=[7.5], replaced_value_float=-1.0)
    return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [4, 5])],
                    [tensor("Y", TensorProto.FLOAT, [4, 5])]), [x]


def array_feature_extractor(name, rng):
    x = floats(rng, 3, 8)
    indices = helper.make_tensor("indices", TensorProto.INT64, [3], [5, 0, 5])
    graph = helper.make_graph([ml("ArrayFeatureExtractor", ["X", "indices"], ["Y"])], name,
                              [tensor("X", TensorProto.FLOAT, [3, 8])],
                              [tensor("Y", TensorProto.FLOAT, [3, 3])], [indices])
    model = helper.make_model(graph, producer_name="tinyc-classic-ml", opset_imports=[
        helper.make_opsetid("", common.OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    model.ir_version = common.IR_VERSION
    return model, [x]


def linear_regressor(name, rng):
    x = floats(rng, 4, 10)
    node = ml("LinearRegressor", ["X"], ["Y"], coefficients=floats(rng, 3 * 10).tolist(),
              intercepts=floats(rng, 3).tolist(), targets=3)
    return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [4, 10])],
                    [tensor("Y", TensorProto.FLOAT, [4, 3])]), [x]


def linear_classifier(transform, classes, labels):
    def build(name, rng):
        features = 6
        x = floats(rng, 5, features)
        coefficients = floats(rng, classes, features)
        intercepts = floats(rng, classes)
        if classes > 1:
            # Two equal rows: the first of the tied classes is the label.
            coefficients[2] = coefficients[1]
            intercepts[2] = intercepts[1]
        node = ml("LinearClassifier", ["X"], ["label", "scores"],
                  coefficients=coefficients.ravel().tolist(), intercepts=intercepts.tolist(),
                  classlabels_ints=labels, post_transform=transform)
        columns = 2 if classes == 1 and len(labels) == 2 else classes
        return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [5, features])],
                        [tensor("label", TensorProto.INT64, [5]),
                         tensor("scores", TensorProto.FLOAT, [5, columns])]), [x]
    return build


def svm_regressor(kernel, supports=5, one_class=0):
    def build(name, rng):
        features = 4
        x = floats(rng, 6, features)
        attrs = dict(coefficients=floats(rng, max(supports, 1) if supports else features).tolist(),
                     rho=[0.3], n_supports=supports, kernel_type=kernel, one_class=one_class,
                     kernel_params=[0.4, 0.7, 3.0])
        if supports:
            attrs["support_vectors"] = floats(rng, supports * features).tolist()
        node = ml("SVMRegressor", ["X"], ["Y"], **attrs)
        return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [6, features])],
                        [tensor("Y", TensorProto.FLOAT, [6, 1])]), [x]
    return build


def random_forest(rng, trees, features, outputs, max_depth, modes=("BRANCH_LEQ",), thresholds=None):
    """The nodes_* and leaf-weight attributes of TREES random trees (unbalanced: a branch stops
    early with probability 1/4), node ids per tree in an order that is not the walk's, every
    leaf weighing every output. THRESHOLDS, when given, are the values splits choose from."""
    attrs = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values",
                             "nodes_modes", "nodes_truenodeids", "nodes_falsenodeids",
                             "nodes_missing_value_tracks_true")}
    leaves = {k: [] for k in ("treeids", "nodeids", "ids", "weights")}
    for tree in range(trees):
        nodes = []

        def grow(depth):
            index = len(nodes)
            nodes.append(None)
            if depth == max_depth or (depth > 0 and rng.random() < 0.25):
                nodes[index] = ("LEAF",)
            else:
                t = float(rng.choice(thresholds)) if thresholds is not None else float(np.float32(rng.standard_normal()))
                split = (str(rng.choice(modes)), int(rng.integers(features)), t, int(rng.random() < 0.5))
                true_child = grow(depth + 1)
                false_child = grow(depth + 1)
                nodes[index] = split + (true_child, false_child)
            return index
        grow(0)
        # Ids are a permutation of the walk order: the root is not always id 0.
        ids = [int(i) for i in rng.permutation(len(nodes))]
        for i, node in enumerate(nodes):
            attrs["nodes_treeids"].append(tree)
            attrs["nodes_nodeids"].append(ids[i])
            if node[0] == "LEAF":
                attrs["nodes_featureids"].append(0)
                attrs["nodes_values"].append(0.0)
                attrs["nodes_modes"].append("LEAF")
                attrs["nodes_truenodeids"].append(0)
                attrs["nodes_falsenodeids"].append(0)
                attrs["nodes_missing_value_tracks_true"].append(0)
                for o in range(outputs):
                    leaves["treeids"].append(tree)
                    leaves["nodeids"].append(ids[i])
                    leaves["ids"].append(o)
                    leaves["weights"].append(float(np.float32(rng.standard_normal())))
            else:
                mode, feature, t, tracks, true_child, false_child = node
                attrs["nodes_featureids"].append(feature)
                attrs["nodes_values"].append(t)
                attrs["nodes_modes"].append(mode)
                attrs["nodes_truenodeids"].append(ids[true_child])
                attrs["nodes_falsenodeids"].append(ids[false_child])
                attrs["nodes_missing_value_tracks_true"].append(tracks)
    return attrs, leaves


def tree_regressor(aggregate, trees, targets, modes=("BRANCH_LEQ",), missing=False, grid=False):
    def build(name, rng):
        features = 5
        thresholds = [-1.0, -0.5, 0.0, 0.5, 1.0] if grid else None
        attrs, leaves = random_forest(rng, trees, features, targets, 4, modes, thresholds)
        x = floats(rng, 8, features)
        if grid:
            # Exactly at thresholds: the comparisons' equality cases.
            x = rng.choice(thresholds, size=(8, features)).astype(np.float32)
        if missing:
            x[1, :] = np.nan
            x[4, 2] = np.nan
        node = ml("TreeEnsembleRegressor", ["X"], ["Y"], n_targets=targets,
                  aggregate_function=aggregate, base_values=floats(rng, targets).tolist(),
                  target_treeids=leaves["treeids"], target_nodeids=leaves["nodeids"],
                  target_ids=leaves["ids"], target_weights=leaves["weights"], **attrs)
        return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [8, features])],
                        [tensor("Y", TensorProto.FLOAT, [8, targets])]), [x]
    return build


def tree_classifier(transform, classes):
    def build(name, rng):
        features = 6
        attrs, leaves = random_forest(rng, 4, features, classes, 5)
        x = floats(rng, 10, features)
        labels = [int(v) for v in rng.permutation(classes) * 3 + 1]
        node = ml("TreeEnsembleClassifier", ["X"], ["label", "scores"],
                  classlabels_int64s=labels, post_transform=transform,
                  base_values=floats(rng, classes).tolist(),
                  class_treeids=leaves["treeids"], class_nodeids=leaves["nodeids"],
                  class_ids=leaves["ids"], class_weights=leaves["weights"], **attrs)
        return model_of(name, [node], [tensor("X", TensorProto.FLOAT, [10, features])],
                        [tensor("label", TensorProto.INT64, [10]),
                         tensor("scores", TensorProto.FLOAT, [10, classes])]), [x]
    return build


def pipeline(name, rng):
    """StandardScaler -> Normalizer -> LogisticRegression, as skl2onnx converts it (without
    ZipMap): labels and class probabilities."""
    features, classes = 8, 3
    x = floats(rng, 6, features) * 3.0 + 1.0
    nodes = [
        ml("Scaler", ["X"], ["scaled"], offset=[1.0] * features, scale=[1.0 / 3.0] * features),
        ml("Normalizer", ["scaled"], ["normal"], norm="L2"),
        ml("LinearClassifier", ["normal"], ["label", "probabilities"],
           coefficients=floats(rng, classes * features).tolist(), intercepts=floats(rng, classes).tolist(),
           classlabels_ints=[0, 1, 2], post_transform="SOFTMAX", multi_class=1),
    ]
    return model_of(name, nodes, [tensor("X", TensorProto.FLOAT, [6, features])],
                    [tensor("label", TensorProto.INT64, [6]),
                     tensor("probabilities", TensorProto.FLOAT, [6, classes])]), [x]


MODELS = {
    "scaler": scaler,
    "scaler_int64": scaler_int64,
    "binarizer": binarizer,
    "normalizer_max": normalizer("MAX"),
    "normalizer_l1": normalizer("L1"),
    "normalizer_l2": normalizer("L2"),
    "imputer_nan": imputer_nan,
    "imputer_value": imputer_value,
    "array_feature_extractor": array_feature_extractor,
    "linear_regressor": linear_regressor,
    "linear_classifier_softmax": linear_classifier("SOFTMAX", 4, [10, 20, 30, 40]),
    "linear_classifier_logistic": linear_classifier("LOGISTIC", 3, [5, 6, 7]),
    "linear_classifier_none": linear_classifier("NONE", 3, [-1, 0, 1]),
    "linear_classifier_binary": linear_classifier("NONE", 1, [3, 7]),
    "linear_classifier_binary_logistic": linear_classifier("LOGISTIC", 1, [3, 7]),
    "svm_regressor_linear": svm_regressor("LINEAR"),
    "svm_regressor_rbf": svm_regressor("RBF"),
    "svm_regressor_poly": svm_regressor("POLY"),
    "svm_regressor_sigmoid": svm_regressor("SIGMOID"),
    "svm_regressor_weights": svm_regressor("LINEAR", supports=0),
    "svm_one_class": svm_regressor("RBF", one_class=1),
    "tree_regressor_sum": tree_regressor("SUM", 3, 2),
    "tree_regressor_average": tree_regressor("AVERAGE", 5, 1, missing=True),
    "tree_regressor_modes": tree_regressor("SUM", 4, 1, modes=("BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE",
                                                            "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"),
                                           grid=True),
    "tree_classifier_softmax": tree_classifier("SOFTMAX", 4),
    "tree_classifier_none": tree_classifier("NONE", 3),
    "tree_classifier_logistic": tree_classifier("LOGISTIC", 5),
    "pipeline": pipeline,
}


def main():
    out, chosen = common.parse_selection(sys.argv[1:], __doc__, MODELS, "model")
    for name in chosen:
        model, inputs = MODELS[name](name, common.rng_for(name))
        outputs = common.write_folder(os.path.join(out, name), model, inputs)
        print("%s: %s" % (name, ", ".join("%s %s" % (n, list(a.shape)) for n, a in outputs)))


if __name__ == "__main__":
    main()
