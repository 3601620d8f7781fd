#!/usr/bin/env python3
"""Summarizes a lit JSON result file (lit -o FILE): counts per test result,
and for the ONNX conformance suites a table per target (passed, known
failures, unsupported) with the operators that made cases unsupported."""
import collections
import json
import re
import sys


def main(path):
    with open(path) as f:
        tests = json.load(f)["tests"]
    overall = collections.Counter(t["code"] for t in tests)
    print("all tests: " + ", ".join("%s %d" % kv for kv in sorted(overall.items())))
    suites = collections.defaultdict(collections.Counter)
    missing = collections.defaultdict(collections.Counter)
    for t in tests:
        m = re.match(r"TINYC :: Conformance/([^/]+)/", t["name"])
        if not m:
            continue
        suites[m.group(1)][t["code"]] += 1
        u = re.search(r"uses operators tinyc does not support: (.*)", t.get("output", ""))
        if t["code"] == "UNSUPPORTED" and u:
            for op in u.group(1).split():
                missing[m.group(1)][op] += 1
    if not suites:
        return
    print("\nONNX conformance (libonnx-testdata: node, pytorch-converted, pytorch-operator)")
    print("%-16s %7s %7s %7s %7s %12s" % ("suite", "cases", "pass", "fail", "xfail", "unsupported"))
    for name, c in sorted(suites.items()):
        print("%-16s %7d %7d %7d %7d %12d" % (name, sum(c.values()), c["PASS"],
                                             c["FAIL"] + c["XPASS"], c["XFAIL"], c["UNSUPPORTED"]))
    for name, ops in sorted(missing.items()):
        common = ", ".join("%s %d" % kv for kv in ops.most_common(12))
        print("\n%s: cases skipped for want of an operator (most common): %s" % (name, common))


if __name__ == "__main__":
    main(sys.argv[1])
