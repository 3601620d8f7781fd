"""A lit test format running ONNX's operator conformance tests (Debian's
libonnx-testdata) through tinyc-run on one target.

Each test case folder becomes one lit test, named <suite>/<case>:
  UNSUPPORTED  the model uses an operator tinyc does not convert (the message
               names it); the case is not run
  PASS / FAIL  every output matches the reference within tinyc-run's tolerance
  XFAIL        the case is listed in known-failures.txt (with its reason) and
               fails; XPASS when a listed case passes, so the list stays true
Inputs that an operator needs at compile time (a Reshape's shape, a Pad's
pads, ...) are graph inputs in these tests. tinyc names them when it stops;
the test then binds them to the case's values with tinyc-run --bind and runs
again, saying so in its output.
"""

import os
import re
import subprocess

import lit.formats
import lit.Test

TESTDATA = "/usr/share/libonnx-testdata/data"
SUITES = ("node", "pytorch-converted", "pytorch-operator")
PYTHON = "/usr/bin/python3"

_supported = None


def supported_operators(tinyc):
    global _supported
    if _supported is None:
        out = subprocess.run([tinyc, "--list-ops"], capture_output=True, text=True, check=True)
        _supported = set(out.stdout.split())
    return _supported


def model_operators(path):
    # Read with onnx under Debian's interpreter, which has it.
    script = ("import onnx, sys\n"
              "m = onnx.load(sys.argv[1])\n"
              "print(' '.join(sorted({n.op_type for n in m.graph.node})))\n")
    out = subprocess.run([PYTHON, "-c", script, path], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return set(out.stdout.split())


def read_cases(path):
    """The cases listed in a file, one `suite/case` per line ('#' starts a comment)."""
    with open(path) as f:
        return [l.split("#", 1)[0].strip() for l in f if l.split("#", 1)[0].strip()]


def read_known_failures(path):
    """case -> reason, from lines `suite/case  reason` ('#' starts a comment)."""
    known = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                case, _, reason = line.partition(" ")
                known[case] = reason.strip()
    return known


class OnnxConformance(lit.formats.TestFormat):
    def __init__(self, folder, target, known_failures, cases=None, extra_args=()):
        self.folder = folder
        self.target = target
        self.known = read_known_failures(known_failures)
        self.cases = cases  # None: every case of every suite
        self.extra_args = list(extra_args)

    def getTestsInDirectory(self, testSuite, path_in_suite, litConfig, localConfig):
        # Only the folder holding the lit.local.cfg defines tests.
        if os.path.basename(os.path.join(*path_in_suite)) != self.folder:
            return
        cases = self.cases
        if cases is None:
            cases = ["%s/%s" % (suite, name) for suite in SUITES
                     for name in sorted(os.listdir(os.path.join(TESTDATA, suite)))]
        for case in cases:
            yield lit.Test.Test(testSuite, path_in_suite + tuple(case.split("/")), localConfig)

    def execute(self, test, litConfig):
        case = "/".join(test.path_in_suite[-2:])
        folder = os.path.join(TESTDATA, case)
        config = test.config
        tinyc = os.path.join(config.tinyc_tools_dir, "tinyc")
        ops = model_operators(os.path.join(folder, "model.onnx"))
        if ops is None:
            return lit.Test.UNSUPPORTED, "the model does not load with onnx %s" % folder
        missing = sorted(ops - supported_operators(tinyc))
        if missing:
            return lit.Test.UNSUPPORTED, "uses operators tinyc does not support: " + \
                " ".join(missing)

        runner = [PYTHON, os.path.join(config.tinyc_src_root, "tools", "tinyc-run", "tinyc-run"),
                  folder, "-target=" + self.target, "--tinyc", tinyc] + self.extra_args
        log = []
        bound = []
        # tinyc names one input it needs at compile time per stop (per node);
        # bind those it names until it names no new one.
        while True:
            command = runner + [arg for name in bound for arg in ("--bind", name)]
            result = subprocess.run(command, capture_output=True, text=True)
            log.append("$ " + " ".join(command) + "\n" + result.stdout + result.stderr)
            named = set(re.findall(r"can be bound to its value with --bind ([^=\s]+)=",
                                   result.stderr)) - set(bound)
            if result.returncode == 0 or not named:
                break
            bound += sorted(named)
            log.append("inputs needed at compile time, bound to the case's values: %s\n"
                       % " ".join(bound))
        output = "\n".join(log)
        passed = result.returncode == 0
        if case in self.known:
            reason = "known failure: %s\n" % self.known[case]
            return (lit.Test.XPASS if passed else lit.Test.XFAIL), reason + output
        return (lit.Test.PASS if passed else lit.Test.FAIL), output
