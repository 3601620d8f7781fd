#!/usr/bin/env python3
"""Counts, from the disassembly of a Cortex-M7 test program that tinyc-run built, the
instructions that the insncount plugin must count in its regions, for insncount.test.

usage: static_insncount.py ELF --elements N [--layers]

It follows the code by hand-written rules instead of running it, which holds for the small
shapes that it accepts and refuses everything else:
  - straight-line code counts one per instruction;
  - an IT block's conditional instructions count whether or not their condition holds (QEMU
    counts every instruction that the core steps through, as the core issues them); their
    conditional return (model_run's `bxne lr` for a misaligned arena) is not taken, since the
    harness's first call gets an aligned arena;
  - `bl F` counts 1 and then F's body, up to and including its return, for the functions the
    region runs through (model_run and the marker functions);
  - one backward conditional branch closes a loop: the body from its target up to and
    including it runs TRIPS times, where TRIPS = N / (the body's vstr: Relu stores each of
    its N float outputs once);
  - any other branch is an error: the code is not a shape this script can count.
A region (tools/qemu-insncount) holds every instruction from the first one of the begin
marker up to, not including, the first one of the end marker: the begin marker's body, then
the caller's instructions after that call, up to and including the call of the end marker.

Prints the parts and their sums as
  instructions: N                 the region of tinyc_region_begin/end (tinyc-run --count)
and with --layers (a model compiled with --layer-markers):
  layer markers: N                the harness's empty tinyc_layer_begin/end pair
  layer 0: N                      the region of the model's one layer, less that pair
"""

import argparse
import re
import subprocess
import sys

OBJDUMP = "/usr/lib/llvm-19/bin/llvm-objdump"
CONDITIONS = "eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le"


def fail(message):
    sys.exit("static_insncount.py: " + message)


def disassemble(elf):
    """{function: [(address, mnemonic, operands)]} from llvm-objdump, data words left out."""
    text = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", "--mcpu=cortex-m7", elf],
                          check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    functions, current = {}, None
    for line in text.splitlines():
        m = re.match(r"[0-9a-f]+ <(\w+)>:$", line)
        if m:
            current = functions.setdefault(m.group(1), [])
            continue
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m and current is not None and not m.group(2).startswith("."):
            current.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return functions


def is_branch(mnemonic):
    return re.fullmatch(r"(b|bl|blx|bx|cbz|cbnz|tbb|tbh|b(%s))(\.w|\.n)?" % CONDITIONS, mnemonic) is not None


class Walker:
    def __init__(self, functions, elements):
        self.functions = functions
        self.elements = elements
        self.notes = []

    def index_of(self, name, address):
        for i, (a, _, _) in enumerate(self.functions[name]):
            if a == address:
                return i
        fail("%s has no instruction at 0x%x" % (name, address))

    def walk(self, name, start=0, stop_call=None, follow=()):
        """Instructions executed from instruction `start` of function `name` to its return, or
        up to and including the call of `stop_call`."""
        code = self.functions[name]
        count, i, conditional = 0, start, 0
        while i < len(code):
            address, mnemonic, operands = code[i]
            count += 1
            in_it, conditional = conditional > 0, max(conditional - 1, 0)
            if re.fullmatch(r"it[te]{0,3}", mnemonic):
                conditional = len(mnemonic) - 1
            elif mnemonic == "bl":
                callee = re.search(r"<(\w+)>", operands).group(1)
                if callee == stop_call:
                    return count
                if callee not in follow:
                    fail("%s calls %s at 0x%x, which this count does not follow" % (name, callee, address))
                body = self.walk(callee, follow=follow)
                self.notes.append("%s: %d" % (callee, body))
                count += body
            elif (mnemonic == "bx" and operands == "lr") or (mnemonic == "pop" and "pc" in operands):
                if not in_it:
                    return count
            elif re.fullmatch(r"b(%s)(\.w|\.n)?" % CONDITIONS, mnemonic) and not in_it:
                target = int(re.match(r"0x([0-9a-f]+)", operands).group(1), 16)
                if target >= address:
                    fail("%s: forward branch at 0x%x" % (name, address))
                first = self.index_of(name, target)
                body = code[first:i + 1]
                if any(is_branch(m) for _, m, _ in body[:-1]):
                    fail("%s: the loop at 0x%x has a call or a branch inside" % (name, target))
                stores = sum(1 for _, m, _ in body if m == "vstr")
                if stores == 0 or self.elements % stores:
                    fail("%s: the loop at 0x%x stores %d floats per trip, which does not divide %d"
                         % (name, target, stores, self.elements))
                trips = self.elements // stores
                # the body's instructions before this branch were counted once already
                count += (trips - 1) * len(body)
                self.notes.append("%s loop 0x%x-0x%x: %d instructions (%d vstr) x %d trips"
                                  % (name, target, address, len(body), stores, trips))
            elif is_branch(mnemonic) and not in_it:
                fail("%s: %s at 0x%x is not a shape this count handles" % (name, mnemonic, address))
            i += 1
        fail("%s ends without a return" % name)

    def region(self, caller, begin, end, follow, nth=0):
        """A region: the begin marker's body, then `caller` after its nth call of `begin` up to
        and including its next call of `end`."""
        calls = [i for i, (_, m, o) in enumerate(self.functions[caller]) if m == "bl" and "<%s>" % begin in o]
        if len(calls) <= nth:
            fail("%s has no call %d of %s" % (caller, nth + 1, begin))
        body = self.walk(begin)
        after = self.walk(caller, calls[nth] + 1, stop_call=end, follow=follow)
        self.notes.append("region %s..%s: %s body %d + %s after the call %d" % (begin, end, begin, body, caller, after))
        return body + after


def main():
    p = argparse.ArgumentParser()
    p.add_argument("elf")
    p.add_argument("--elements", type=int, required=True)
    p.add_argument("--layers", action="store_true")
    args = p.parse_args()
    w = Walker(disassemble(args.elf), args.elements)
    markers = ("tinyc_layer_begin", "tinyc_layer_end")
    total = w.region("main", "tinyc_region_begin", "tinyc_region_end", follow=("model_run",) + markers)
    lines = ["instructions: %d" % total]
    if args.layers:
        overhead = w.region("main", *markers, follow=())
        layer = w.region("model_run", *markers, follow=())
        lines += ["layer markers: %d" % overhead, "layer 0: %d" % (layer - overhead)]
    for note in w.notes:
        print("# " + note)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
