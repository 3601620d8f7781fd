#!/usr/bin/env python3
"""external-stack.py: the most stack that one call of a library routine the generated code may
call can use, read off the library's disassembly; the figure behind each target's
codegen.external_stack_bytes (targets/README.md).

usage: external-stack.py OBJDUMP LIBRARY.a... [--match REGEX]

For every function of the archives (objdump -dr) it adds up the bytes its instructions move
the stack pointer down by (Arm: push, stmdb sp!, vpush, sub sp; RISC-V: addi sp,sp,-N), which
bounds its frame whatever path it takes, and follows its calls and tail calls (bl, b.w, j,
call, tail, jal, found through the relocations of the archive's members) to other functions
of the archives. It prints the deepest routine whose name matches REGEX (default: libgcc's
arithmetic helpers and memcpy/memset/memmove), and that depth; a call to a function that
none of the archives defines is an error, since its stack would be unknown.
"""

import re
import subprocess
import sys

# What LLVM's code generator calls for Arm's run-time ABI, soft float, division, wide shifts
# and multiplies, and memory intrinsics.
DEFAULT_MATCH = (r"^(__aeabi_\w+|__(add|sub|mul|div|neg|cmp|eq|ne|ge|gt|le|lt|unord)[sd]f[23]"
                 r"|__fix(uns)?[sd]f[sd]i|__float(un)?[sd]i[sd]f|__extendsfdf2|__truncdfsf2"
                 r"|__u?(div|mod|divmod|mul|ashl|ashr|lshr)[sd]i[34]|__popcount[sd]i2|__clz[sd]i2"
                 r"|mem(cpy|set|move))$")

FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
RELOC = re.compile(r"^\s+[0-9a-f]+: (R_\w+)\s+(\S+)")
INSN = re.compile(r"^\s+[0-9a-f]+:\s+(?:[0-9a-f]{2,8} ?)+\s+(\S+)\s*(.*)$")
CALL_RELOCS = ("R_ARM_THM_CALL", "R_ARM_THM_JUMP24", "R_ARM_CALL", "R_ARM_JUMP24",
               "R_RISCV_CALL", "R_RISCV_CALL_PLT", "R_RISCV_JAL")


def register_count(text):
    """Registers in an Arm register list such as {r4-r7, lr} or {d8-d9}."""
    n = 0
    for part in text.strip("{} ").split(","):
        part = part.strip()
        m = re.match(r"([rsd])(\d+)-[rsd](\d+)", part)
        n += (int(m.group(3)) - int(m.group(2)) + 1) if m else (1 if part else 0)
    return n


def stack_bytes(mnemonic, operands):
    """Bytes one instruction moves the stack pointer down by (0 if none)."""
    ops = operands.split(";")[0].split("@")[0].split("#", 1)
    if mnemonic in ("push", "push.w", "stmdb", "stmdb.w", "stmfd") and ("sp!" in operands or mnemonic.startswith("push")):
        regs = operands[operands.index("{"):operands.index("}") + 1]
        return 4 * register_count(regs)
    if mnemonic in ("vpush", "vstmdb") and ("sp!" in operands or mnemonic == "vpush"):
        regs = operands[operands.index("{"):operands.index("}") + 1]
        return (8 if "d" in regs else 4) * register_count(regs)
    if mnemonic in ("sub", "sub.w", "subw", "subs") and re.match(r"sp, (sp, )?#", operands):
        return int(re.search(r"#(\d+)", operands).group(1))
    if mnemonic in ("addi", "add", "c.addi", "c.addi16sp") and re.match(r"sp,\s*sp,\s*-\d+", operands):
        return int(re.search(r"-(\d+)", operands).group(1))
    return 0


def aliases(nm, archive):
    """Symbol -> the symbol objdump names a function after, for symbols at one address of
    one member (assembly routines such as __aeabi_cdcmple and __aeabi_cdcmpeq share code)."""
    out = subprocess.run([nm, "-A", "--defined-only", archive], check=True, capture_output=True,
                         text=True).stdout
    at = {}
    for line in out.splitlines():
        where, _, rest = line.rpartition(":")
        fields = rest.split()
        if len(fields) == 3 and fields[1] in "tTW":
            at.setdefault((where, int(fields[0], 16)), []).append(fields[2])
    return [names for names in at.values() if len(names) > 1]


def analyse(objdump, archives):
    frames, callees = {}, {}
    nm = objdump.replace("objdump", "nm")
    alias_groups = []
    for archive in archives:
        alias_groups += aliases(nm, archive)
        text = subprocess.run([objdump, "-dr", "--no-show-raw-insn", archive], check=True,
                              capture_output=True, text=True).stdout
        current = None
        for line in text.splitlines():
            m = FUNC.match(line)
            if m:
                name = m.group(1)
                # RISC-V objdump also opens a block at every local label (.LBB3); they stay
                # part of the function they are in.
                if name.startswith(".L") or name.startswith("$"):
                    continue
                current = name
                frames.setdefault(current, 0)
                callees.setdefault(current, set())
                continue
            if current is None:
                continue
            m = RELOC.match(line)
            if m and m.group(1) in CALL_RELOCS:
                target = m.group(2).split("+")[0]
                if target != current and not target.startswith(".L"):
                    callees[current].add(target)
                continue
            m = re.match(r"^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$", line)
            if m:
                frames[current] += stack_bytes(m.group(1), m.group(2))
    for names in alias_groups:
        shown = [n for n in names if n in frames]
        for n in names:
            if shown and n not in frames:
                frames[n], callees[n] = 0, {shown[0]}
    return frames, callees


def main(argv):
    args = argv[1:]
    match = DEFAULT_MATCH
    if "--match" in args:
        i = args.index("--match")
        match = args[i + 1]
        del args[i:i + 2]
    objdump, archives = args[0], args[1:]
    frames, callees = analyse(objdump, archives)
    depth, active = {}, set()

    def visit(f):
        if f in depth:
            return depth[f]
        if f not in frames:
            sys.exit("external-stack: %s is called but defined in none of the archives" % f)
        if f in active:
            sys.exit("external-stack: %s is recursive" % f)
        active.add(f)
        below = max([visit(c) for c in callees[f]] or [0])
        active.discard(f)
        depth[f] = frames[f] + below
        return depth[f]

    pattern = re.compile(match)
    worst = max((f for f in frames if pattern.match(f)), key=visit)
    print("%s %d" % (worst, visit(worst)))


if __name__ == "__main__":
    main(sys.argv)
