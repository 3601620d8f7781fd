# -*- Python -*-
import os
import platform

import lit
import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TINYC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtxt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tinyc_obj_root, "test")
# Helpers used by tests, not tests themselves.
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "tools"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["tinyc", "tinyc-opt", ToolSubst("llvm-nm", unresolved="fatal"),
     ToolSubst("llvm-readelf", unresolved="fatal"), ToolSubst("llvm-objdump", unresolved="fatal")],
    [config.tinyc_tools_dir, config.llvm_tools_dir])

# A compiler built with -DTINYC_SANITIZE=ON (or TINYC_FUZZ). The two ASan
# checks that misfire against Debian's uninstrumented libraries are switched
# off inside tinyc and tinyc-opt themselves (include/tinyc/Tools/
# SanitizerDefaults.h), not here: the test programs that tinyc-run builds
# with --sanitize inherit this environment and must keep user poisoning, the
# arena's red zones.
if getattr(config, "tinyc_sanitize", False):
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1"
    config.available_features.add("tinyc-sanitized")

# Debian's interpreter has python3-onnx and python3-numpy; a python3 earlier on
# PATH (pyenv, a venv) may not.
python = "/usr/bin/python3"
src = config.tinyc_src_root
config.substitutions.append(("%onnx-python", python))
config.substitutions.append(("%host-cc", os.path.join(config.llvm_tools_dir, "clang")))
config.substitutions.append(("%runtime", os.path.join(src, "runtime")))
config.substitutions.append(("%targets", os.path.join(src, "targets")))
config.substitutions.append(("%models", os.path.join(src, "examples", "mlperf")))
config.substitutions.append(("%testdata", "/usr/share/libonnx-testdata/data"))
config.substitutions.append((
    "%tinyc-run",
    "%s %s --tinyc %s" % (python, os.path.join(src, "tools", "tinyc-run", "tinyc-run"),
                          os.path.join(config.tinyc_tools_dir, "tinyc"))))
# Writes an .onnx file from ONNX's textual syntax: %onnx-from-text IN OUT.
config.substitutions.append((
    "%onnx-from-text", "%s %s" % (python, os.path.join(src, "test", "tools", "onnx_from_text.py"))))

# The checker of what an object's instructions, build attributes and undefined symbols need
# (test/Target): %check-isa OBJECT TARGET [--float-abi ABI].
config.substitutions.append((
    "%check-isa", "%s %s --objdump %s --readelf %s --nm %s" % (
        python, os.path.join(src, "test", "tools", "check_isa.py"),
        os.path.join(config.llvm_tools_dir, "llvm-objdump"),
        os.path.join(config.llvm_tools_dir, "llvm-readelf"),
        os.path.join(config.llvm_tools_dir, "llvm-nm"))))

# Generators of test models for the compression passes, and the runner of
# their folders.
config.substitutions.append(("%compression", os.path.join(src, "scripts", "compression")))
config.substitutions.append((
    "%run-folders",
    "%s %s --tinyc %s --runner %s" % (python, os.path.join(src, "test", "Compression", "run_folders.py"),
                                      os.path.join(config.tinyc_tools_dir, "tinyc"),
                                      os.path.join(src, "tools", "tinyc-run", "tinyc-run"))))

# ONNX Runtime for Node (tools/ort-reference): scripts/setup.sh installs it into
# $TINYC_ORT_DIR, else build/ort. lit runs tests in a clean environment, so the
# folder is handed on explicitly; nothing at test time installs it.
config.environment["TINYC_ORT_DIR"] = os.path.abspath(
    os.environ.get("TINYC_ORT_DIR") or os.path.join(src, "build", "ort"))
config.substitutions.append((
    "%ort-reference", "%s %s" % (python, os.path.join(src, "tools", "ort-reference", "ort-reference"))))

# The check of --quantize=int8 against the float model in ONNX Runtime (test/Quantized/ptq-*).
config.substitutions.append((
    "%ptq-check", "%s %s --tinyc %s --runner %s --ort-reference %s" % (
        python, os.path.join(src, "test", "tools", "ptq_check.py"),
        os.path.join(config.tinyc_tools_dir, "tinyc"),
        os.path.join(src, "tools", "tinyc-run", "tinyc-run"),
        os.path.join(src, "tools", "ort-reference", "ort-reference"))))

# lit itself, for the tests of the conformance runner (a lit format) on small suites they build.
config.substitutions.append((
    "%lit", "%s %s" % (python, os.path.join(os.path.dirname(os.path.dirname(lit.__file__)), "lit.py"))))
config.substitutions.append(("%conformance", os.path.join(src, "test", "Conformance")))
config.substitutions.append(("%tinyc-tools-dir", config.tinyc_tools_dir))
config.substitutions.append(("%tinyc-src-root", src))
# The build tree, for `cmake --install` (test/Examples).
config.substitutions.append(("%tinyc-obj-root", config.tinyc_obj_root))


def host_cpu_flags():
    """The flags of the host's first CPU in /proc/cpuinfo (none when it cannot be read)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# Code for x86-64-v2 runs on the host only where the host has that level's instructions
# (POPCNT, SSE4.2, ...); tests that run it say REQUIRES: host-x86-64-v2 and are UNSUPPORTED,
# naming the feature, on an older host instead of failing with SIGILL.
X86_64_V2_FLAGS = {"cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2"}
if platform.machine() == "x86_64" and X86_64_V2_FLAGS <= host_cpu_flags():
    config.available_features.add("host-x86-64-v2")
