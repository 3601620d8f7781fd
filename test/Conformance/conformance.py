"""A lit test format running ONNX's operator conformance tests (Debian's
libonnx-testdata) through tinyc-run on one target, and the checks of the
lists it reads.

Each test case folder becomes one lit test, named <suite>/<case>. Its result:
  UNRESOLVED   the case has no folder (a misspelt name in per-operator.txt),
               or its model.onnx does not load with onnx; the suite fails
  UNSUPPORTED  the model uses an operator that supported-ops.txt does not
               list (the message names it); the case is not run. The list is
               the operators the project claims, kept in the test suite, so
               that tinyc's own answer (--list-ops) never decides a skip;
               supported-ops.test checks the two agree
  PASS         every output matches the reference within tinyc-run's
               tolerance (values, element types and shapes)
  FAIL         it does not, and the case is not in known-failures.txt; or
               tinyc refuses one of its operators ("operator not supported"),
               all of which supported-ops.txt claims: a known failure cannot
               excuse that
  XFAIL        the case is in known-failures.txt and fails with output (of
               the last tinyc-run, stdout and stderr) in which the entry's
               pattern, a Python regular expression (multiline), is found
  FAIL         the case is in known-failures.txt and passes (the message asks
               for the entry to be removed; not XPASS, which lit 19 counts as
               a success), or fails without its pattern in the output
Inputs that an operator needs at compile time (a Reshape's shape, a Pad's
pads, ...) are graph inputs in these tests. tinyc names them when it stops;
the test then binds them to the case's values with tinyc-run --bind and runs
again, saying so in its output.

The lists themselves are checked by `python3 conformance.py --check-lists`
(lists.test): it is an error when an entry of known-failures.txt or
per-operator.txt names no case of the data, or a case whose model does not
load or that uses an operator supported-ops.txt does not claim (it would
never run, so its entry would never be checked); when an entry appears twice;
or when a known failure has no pattern or one that does not compile.
`--check-testdata` (testdata.test) fails when the installed libonnx-testdata
is not the version pinned here (TESTDATA_VERSION) or its suites do not hold
the pinned numbers of cases (TESTDATA_CASES): other data would change the
counts without notice.

Result kinds for scripts/test-summary.py: PASS, FAIL, UNRESOLVED, XFAIL and
UNSUPPORTED; never XPASS.
"""

import argparse
import os
import re
import subprocess
import sys

try:
    import lit.formats
    import lit.Test
except ImportError:
    # Run as a command (the checks of the lists) rather than loaded by lit: LLVM 19's lit.
    sys.path.insert(0, "/usr/lib/llvm-19/build/utils/lit")
    import lit.formats
    import lit.Test

TESTDATA = "/usr/share/libonnx-testdata/data"
SUITES = ("node", "pytorch-converted", "pytorch-operator")
PYTHON = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))

# The data the counts in known-failures.txt, per-operator.txt and the README
# were measured with; another version is reported by testdata.test.
TESTDATA_PACKAGE = "libonnx-testdata"
TESTDATA_VERSION = "1.12.0-2"
TESTDATA_CASES = {"node": 932, "pytorch-converted": 82, "pytorch-operator": 35}

# tinyc's diagnostic for a node it has no converter for (lib/Import/OnnxImporter.cpp).
REFUSED_OPERATOR = re.compile(r"operator not supported \(domain")


class ListError(Exception):
    """A list file that cannot be read as its format says (file:line: what)."""


def list_lines(path):
    """(line number, text) of the lines that are not blank or whole-line '#' comments."""
    with open(path) as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if text and not text.startswith("#"):
                yield number, text


def read_cases(path):
    """The cases listed in a file, one `suite/case` per line ('#' starts a comment)."""
    cases = []
    for number, text in list_lines(path):
        case = text.split("#", 1)[0].strip()
        if case in cases:
            raise ListError("%s:%d: %s is listed twice" % (path, number, case))
        cases.append(case)
    return cases


def read_supported_operators(path):
    """The operator names of supported-ops.txt, one a line."""
    return set(read_cases(path))


def read_known_failures(path):
    """case -> compiled pattern, from lines `suite/case  PATTERN`: PATTERN is the rest of the
    line, a Python regular expression searched in the failing run's output. Comments are whole
    lines starting with '#', so that a pattern may hold one."""
    known = {}
    for number, text in list_lines(path):
        parts = text.split(None, 1)
        case = parts[0]
        if case in known:
            raise ListError("%s:%d: %s is listed twice" % (path, number, case))
        if len(parts) < 2:
            raise ListError("%s:%d: %s has no pattern of the failure it expects"
                            % (path, number, case))
        try:
            known[case] = re.compile(parts[1].strip(), re.MULTILINE)
        except re.error as e:
            raise ListError("%s:%d: %s: the pattern %r does not compile: %s"
                            % (path, number, case, parts[1].strip(), e))
    return known


def all_cases(testdata):
    return ["%s/%s" % (suite, name) for suite in SUITES
            for name in sorted(os.listdir(os.path.join(testdata, suite)))
            if os.path.isdir(os.path.join(testdata, suite, name))]


def operator_names(model):
    """The operators of an onnx.ModelProto's graph and of the graphs in its nodes' attributes
    (If's branches, Loop's body), `Op` for the default domain and `domain:Op` for another."""
    names = set()
    graphs = [model.graph]
    while graphs:
        graph = graphs.pop()
        for n in graph.node:
            names.add(n.op_type if n.domain in ("", "ai.onnx") else n.domain + ":" + n.op_type)
            for a in n.attribute:
                graphs.extend([a.g] if a.HasField("g") else [])
                graphs.extend(a.graphs)
    return names


def model_operators(path, in_process=False):
    """The operators (operator_names) of the model at PATH, or the error that onnx gives
    loading it (as a string). lit's interpreter may lack onnx: unless IN_PROCESS, Debian's
    interpreter, which has it, reads the model."""
    if in_process:
        import onnx
        try:
            return operator_names(onnx.load(path))
        except Exception as e:  # protobuf's DecodeError, a missing external data file, ...
            return "%s: %s" % (type(e).__name__, e)
    # operator_names, without importing this file (and lit) in the child.
    script = ("import onnx, sys\n"
              "names, graphs = set(), [onnx.load(sys.argv[1]).graph]\n"
              "while graphs:\n"
              "    for n in graphs.pop().node:\n"
              "        names.add(n.op_type if n.domain in ('', 'ai.onnx') else n.domain + ':' + n.op_type)\n"
              "        for a in n.attribute:\n"
              "            graphs.extend(([a.g] if a.HasField('g') else []) + list(a.graphs))\n"
              "print(' '.join(sorted(names)))\n")
    out = subprocess.run([PYTHON, "-c", script, path], capture_output=True, text=True)
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        return lines[-1] if lines else "exit status %d" % out.returncode
    return set(out.stdout.split())


class OnnxConformance(lit.formats.TestFormat):
    def __init__(self, folder, target, known_failures, cases=None, extra_args=(),
                 supported_ops=os.path.join(HERE, "supported-ops.txt"), testdata=TESTDATA):
        self.folder = folder
        self.target = target
        self.known_failures = known_failures
        self.known = read_known_failures(known_failures)
        self.supported_ops = supported_ops
        self.supported = read_supported_operators(supported_ops)
        self.cases = cases  # None: every case of every suite
        self.extra_args = list(extra_args)
        self.testdata = testdata

    def getTestsInDirectory(self, testSuite, path_in_suite, litConfig, localConfig):
        # Only the folder holding the lit.local.cfg defines tests.
        if os.path.basename(os.path.join(*path_in_suite)) != self.folder:
            return
        cases = self.cases
        if cases is None:
            cases = all_cases(self.testdata)
        for case in cases:
            yield lit.Test.Test(testSuite, path_in_suite + tuple(case.split("/")), localConfig)

    def execute(self, test, litConfig):
        case = "/".join(test.path_in_suite[-2:])
        folder = os.path.join(self.testdata, case)
        config = test.config
        tinyc = os.path.join(config.tinyc_tools_dir, "tinyc")
        model = os.path.join(folder, "model.onnx")
        if not os.path.isfile(model):
            return lit.Test.UNRESOLVED, "no case %s: %s does not exist" % (case, model)
        ops = model_operators(model)
        if isinstance(ops, str):
            return lit.Test.UNRESOLVED, "the model does not load with onnx: %s: %s" % (model, ops)
        missing = sorted(ops - self.supported)
        if missing:
            return lit.Test.UNSUPPORTED, "uses operators not in %s: %s" % (
                os.path.basename(self.supported_ops), " ".join(missing))

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
        # What a known failure's pattern is matched against: the last run's own output, not the
        # command lines (which hold the case's name).
        failure = result.stdout + result.stderr
        passed = result.returncode == 0
        listed = os.path.basename(self.known_failures)
        if not passed and REFUSED_OPERATOR.search(failure):
            return lit.Test.FAIL, (
                "tinyc refuses an operator of %s that %s lists (whatever %s says)\n"
                % (case, os.path.basename(self.supported_ops), listed)) + output
        if case not in self.known:
            return (lit.Test.PASS if passed else lit.Test.FAIL), output
        pattern = self.known[case].pattern
        if passed:
            return lit.Test.FAIL, (
                "%s is listed in %s (expecting /%s/) but passes: remove its entry\n"
                % (case, listed, pattern)) + output
        if not self.known[case].search(failure):
            return lit.Test.FAIL, (
                "%s fails, but its output does not match the pattern /%s/ that %s expects: "
                "it fails differently\n" % (case, pattern, listed)) + output
        return lit.Test.XFAIL, "known failure, as %s expects: /%s/\n%s" % (listed, pattern, output)


# ---------------------------------------------------------------- checks of the lists

def check_lists(testdata, known_failures, per_operator, supported_ops):
    """The errors in the lists: every entry names a case of the data, once; every known
    failure has a pattern that compiles; every operator is listed once; and every case listed
    runs (a case of an operator supported-ops.txt does not claim would be UNSUPPORTED, and its
    entry never checked)."""
    errors = []
    cases = set(all_cases(testdata))
    try:
        supported = read_supported_operators(supported_ops)
    except ListError as e:
        errors.append(str(e))
        supported = None
    for path, read in ((known_failures, read_known_failures), (per_operator, read_cases)):
        try:
            entries = read(path)
        except ListError as e:
            errors.append(str(e))
            continue
        for case in sorted(entries):
            if case not in cases:
                errors.append("%s: %s is not a case of %s" % (path, case, testdata))
                continue
            ops = model_operators(os.path.join(testdata, case, "model.onnx"), in_process=True)
            if isinstance(ops, str):
                errors.append("%s: %s: the model does not load with onnx: %s" % (path, case, ops))
            elif supported is not None and ops - supported:
                errors.append("%s: %s never runs: it uses operators not in %s: %s" % (
                    path, case, os.path.basename(supported_ops), " ".join(sorted(ops - supported))))
    return errors


def check_testdata(testdata, version):
    """The differences of the data from the pinned package version and case counts."""
    errors = []
    if version != TESTDATA_VERSION:
        errors.append("%s is version %s, the tests are pinned to %s (test/Conformance/"
                      "conformance.py: TESTDATA_VERSION); review the counts and lists for it"
                      % (TESTDATA_PACKAGE, version or "(not installed)", TESTDATA_VERSION))
    for suite, pinned in sorted(TESTDATA_CASES.items()):
        folder = os.path.join(testdata, suite)
        found = len([n for n in os.listdir(folder) if os.path.isdir(os.path.join(folder, n))]) \
            if os.path.isdir(folder) else 0
        if found != pinned:
            errors.append("%s holds %d cases, the tests are pinned to %d (conformance.py: "
                          "TESTDATA_CASES)" % (folder, found, pinned))
    return errors


def installed_version(package):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def main(argv):
    p = argparse.ArgumentParser(description="Checks the conformance lists and the test data.")
    p.add_argument("--testdata", default=TESTDATA)
    p.add_argument("--check-lists", action="store_true")
    p.add_argument("--known-failures", default=os.path.join(HERE, "known-failures.txt"))
    p.add_argument("--per-operator", default=os.path.join(HERE, "per-operator.txt"))
    p.add_argument("--supported-ops", default=os.path.join(HERE, "supported-ops.txt"))
    p.add_argument("--check-testdata", action="store_true")
    p.add_argument("--package-version", help="the package version to check (default: dpkg's)")
    args = p.parse_args(argv)
    errors = []
    if args.check_lists:
        errors += check_lists(args.testdata, args.known_failures, args.per_operator,
                              args.supported_ops)
    if args.check_testdata:
        version = args.package_version
        if version is None:
            version = installed_version(TESTDATA_PACKAGE)
        errors += check_testdata(args.testdata, version)
    for e in errors:
        print("error: " + e)
    if not errors:
        print("ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
