#!/usr/bin/env python3
"""Summarizes a lit JSON result file (lit -o FILE): counts per test result,
and for the ONNX conformance suites a table per target (passed, failed,
errors, known failures, unsupported) with the operators that made cases
unsupported and the cases that failed or could not run, each with the first
line of what it says (test/Conformance/conformance.py gives the rules)."""
import collections
import json
import re
import sys

# lit's result codes, in the columns of the table: a known failure that passes and a known
# failure that fails otherwise are FAIL (conformance.py never reports XPASS, which lit 19
# counts as a success, but an XPASS here would still be a failure); a case that cannot run
# (no folder, a model that does not load) is UNRESOLVED, an error.
FAILED = ("FAIL", "XPASS")
ERRORS = ("UNRESOLVED", "TIMEOUT")
SHOWN = 20


def first_line(output):
    """The runner's own message: the first line that is not a command it ran."""
    for line in output.splitlines():
        if line.strip() and not line.startswith("$ "):
            return line.strip()
    return ""


def main(path):
    with open(path) as f:
        tests = json.load(f)["tests"]
    overall = collections.Counter(t["code"] for t in tests)
    print("all tests: " + ", ".join("%s %d" % kv for kv in sorted(overall.items())))
    suites = collections.defaultdict(collections.Counter)
    missing = collections.defaultdict(collections.Counter)
    bad = collections.defaultdict(list)
    for t in tests:
        m = re.match(r"TINYC :: Conformance/([^/]+)/(.*)", t["name"])
        if not m:
            continue
        suites[m.group(1)][t["code"]] += 1
        output = t.get("output", "")
        u = re.search(r"uses operators not in [\w.-]+: (.*)", output)
        if t["code"] == "UNSUPPORTED" and u:
            for op in u.group(1).split():
                missing[m.group(1)][op] += 1
        if t["code"] in FAILED + ERRORS:
            bad[m.group(1)].append("%s %s: %s" % (t["code"], m.group(2), first_line(output)))
    if not suites:
        return
    print("\nONNX conformance (libonnx-testdata: node, pytorch-converted, pytorch-operator)")
    print("%-16s %7s %7s %7s %7s %7s %12s" % ("suite", "cases", "pass", "fail", "error", "xfail",
                                              "unsupported"))
    for name, c in sorted(suites.items()):
        print("%-16s %7d %7d %7d %7d %7d %12d" % (
            name, sum(c.values()), c["PASS"], sum(c[k] for k in FAILED), sum(c[k] for k in ERRORS),
            c["XFAIL"], c["UNSUPPORTED"]))
    for name, ops in sorted(missing.items()):
        common = ", ".join("%s %d" % kv for kv in ops.most_common(12))
        print("\n%s: cases skipped for want of an operator (most common): %s" % (name, common))
    for name, lines in sorted(bad.items()):
        print("\n%s: %d cases failed or could not run%s:" % (
            name, len(lines), " (the first %d)" % SHOWN if len(lines) > SHOWN else ""))
        for line in sorted(lines)[:SHOWN]:
            print("  " + line)


if __name__ == "__main__":
    main(sys.argv[1])
