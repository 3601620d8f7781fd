#!/usr/bin/env python3
"""Checks that an object tinyc wrote for a microcontroller target uses only what the core has.

usage: check_isa.py OBJECT TARGET [--float-abi hard|softfp|soft] [--objdump P] [--readelf P] [--nm P]

The rules are written here from the cores' manuals, not read from targets/*/target.json, so
that a wrong target description fails the test instead of defining what passes:

  instructions  The object is disassembled with a decoder for a superset of every core here
                (Arm: armv8.1-m.main with MVE, double-precision FP and DSP; RISC-V: RV32IMAFDC),
                so an instruction the core lacks shows up by its name. Failures: one the
                decoder does not know (<unknown>); on a core without FPU, or under
                -mfloat-abi=soft, any VFP/MVE instruction (v*) or F/D instruction (f*, not
                fence); on a single-precision FPU (FPv4-SP, FPv5-SP), any .f64 one; on FPv4
                (Cortex-M4) the FPv5 additions (vrint*, vsel*, vmaxnm, vminnm, vcvt[anpm]);
                everywhere but on the Cortex-M55 MVE (q registers, vpt/vpst predication, vctp)
                and the low-overhead loops of armv8.1-m, and on the M55 without an FPU (its
                -mfloat-abi=soft) MVE as well; without
                the DSP extension (M0+, M3) the DSP instructions; on armv6-m every 32-bit
                instruction but bl, dmb, dsb, isb, mrs and msr, and the 16-bit Thumb-2 ones
                (it, cbz, cbnz); without A, lr/sc/amo*.
  attributes    Arm: Tag_CPU_arch, Tag_FP_arch, Tag_ABI_HardFP_use (single precision),
                Tag_ABI_VFP_args (only for the hard-float ABI), Tag_MVE_arch (only where MVE
                is used) and, on armv8-m and armv8.1-m, Tag_DSP_extension are what the core
                needs. RISC-V: Tag_RISCV_arch's single-letter extensions
                are exactly the core's, and the ELF header's float ABI is the target's.
  symbols       Every undefined symbol is a compiler-runtime helper (__aeabi_*, libgcc's
                soft-float and integer routines such as __addsf3, __divdi3) or memcpy/memset:
                no libm (sqrtf, roundevenf, expf ...), nothing else from libc.

Prints one summary line (instructions, how many are 32-bit and floating point, the attributes,
the undefined symbols), then up to 3 violations of each kind and the number of the others, and
exits 1 when there is any.
"""
import argparse
import re
import subprocess
import sys

DSP_MNEMONICS = re.compile(
    r"^(?:[su]|q|sh|uq|uh)(?:add|sub|asx|sax)(?:8|16)$|^q(?:d)?(?:add|sub)$|^smla[bt][bt]$|"
    r"^smlaw[bt]$|^smul[bt][bt]$|^smulw[bt]$|^sml[as]l?dx?$|^smu[as]dx?$|^smml[as]r?$|^smmulr?$|"
    r"^pkh(?:bt|tb)$|^sel$|^[su]sat16$|^[su]xtab16$|^[su]xtb16$|^[su]xta[bh]$|^usada?8$|^umaal$")
# The 32-bit instructions of armv6-m (ARMv6-M ARM, A5.3).
V6M_32BIT = {"bl", "dmb", "dsb", "isb", "mrs", "msr"}
# 16-bit instructions that Thumb-2 added and armv6-m lacks (the IT family: it, itt, ite, ...).
V6M_MISSING_16BIT = re.compile(r"^(?:it[te]{0,3}|cbn?z)$")
FPV5_ONLY = re.compile(r"^(?:vrint[anpmxzr]|vsel(?:eq|ge|gt|vs)|vmaxnm|vminnm|vcvt[anpm])")
LOW_OVERHEAD_LOOPS = re.compile(r"^(?:dls|wls|le|letp|dlstp|wlstp|lctp)$")
Q_REGISTER = re.compile(r"\bq[0-7]\b")
# MVE's predication (vpt, vpst and their then/else forms) and tail predicate (vctp) name no
# q register in every form, so they are matched by name.
MVE_ONLY = re.compile(r"^(?:vpt[te]{0,3}|vpst[te]{0,3}|vctp|vpsel|vpnot)$")

# name: (kind, properties). Arm: arch (Tag_CPU_arch), fpu (None, "vfpv4-sp", "fpv5-sp",
# "fpv5-dp"), dsp, v6m, mve (None or "fp": MVE with floating point, which also gives the
# armv8.1-m low-overhead loops). RISC-V: extensions (single letters), float ABI of the ELF header.
ARM = {
    "cortex-m0plus": dict(arch="ARM v6S-M", fpu=None, dsp=False, v6m=True),
    "cortex-m3": dict(arch="ARM v7", fpu=None, dsp=False, v6m=False),
    "cortex-m4": dict(arch="ARM v7E-M", fpu="fpv4-sp", dsp=True, v6m=False),
    "cortex-m7": dict(arch="ARM v7E-M", fpu="fpv5-dp", dsp=True, v6m=False),
    "cortex-m7-sp": dict(arch="ARM v7E-M", fpu="fpv5-sp", dsp=True, v6m=False),
    "cortex-m33": dict(arch="ARM v8-M Mainline", fpu="fpv5-sp", dsp=True, v6m=False),
    "cortex-m55": dict(arch="ARM v8.1-M Mainline", fpu="fpv5-dp", dsp=True, v6m=False, mve="fp"),
}
RISCV = {
    "riscv32": dict(extensions="imafc", float_abi="single-float ABI"),
    "riscv32-imac": dict(extensions="imac", float_abi=None),
    "riscv32-imc": dict(extensions="imc", float_abi=None),
}
# Tag_FP_arch as llvm-readelf-19 names it.
FP_ARCH = {"fpv4-sp": "VFPv4-D16", "fpv5-sp": "ARMv8-a FP-D16", "fpv5-dp": "ARMv8-a FP-D16"}
# Every undefined symbol must match: the Arm EABI helpers, libgcc's soft-float routines
# (__addsf3, __extendsfdf2, __fixsfsi, __floatsisf, __unordsf2 ...) and integer ones
# (__mulsi3, __divdi3, __udivmoddi4, __ashldi3, __clzsi2 ...), memcpy and memset.
ALLOWED_UNDEFINED = re.compile(
    r"^(?:__aeabi_\w+|__(?:add|sub|mul|div|neg|eq|ne|lt|le|gt|ge|unord|cmp)[sd]f[23]|"
    r"__(?:fix|fixuns)[sd]f[sd]i|__(?:float|floatun)[sd]i[sd]f|__extendsfdf2|__truncdfsf2|"
    r"__(?:u?(?:div|mod|mul)|u?divmod)[sd]i[34]|__(?:ashl|ashr|lshr)di3|__(?:clz|ctz|popcount)[sd]i2|"
    r"memcpy|memset)$")


def run(cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("check_isa: %s failed:\n%s" % (" ".join(cmd), proc.stderr))
    return proc.stdout


def instructions(objdump, obj, arm):
    """(mnemonic, operands, size in bytes) of every instruction of the object's code."""
    if arm:
        cmd = [objdump, "-d", "--triple=thumbv8.1m.main-none-eabi", "--mattr=+mve.fp,+fp64,+dsp", obj]
    else:
        cmd = [objdump, "-d", "--mattr=+m,+a,+f,+d,+c,+zicsr,+zifencei", obj]
    result = []
    # "   1c: f7ff fffe     bl  0x1c <f+0x1c>" (Arm: halfwords) / " 2: 3f000637  lui a2, ..."
    line_re = re.compile(r"^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2,8} )+)\s*(\S+)\s*(.*)$")
    for line in run(cmd).splitlines():
        m = line_re.match(line)
        if not m:
            continue
        raw, mnemonic, operands = m.group(1).split(), m.group(2), m.group(3)
        if mnemonic.startswith("."):  # data in code (.word, .short): literal pools
            continue
        size = sum(len(h) for h in raw) // 2
        # drop objdump's comments ("@ imm = #-4" on Arm, "<symbol>" targets stay)
        result.append((mnemonic, operands.split("@")[0] if arm else operands, size))
    return result


def arm_attributes(readelf, obj):
    text = run([readelf, "-A", obj])
    found = {}
    for name, description in re.findall(r"TagName: (\w+)\s*\n\s*(?:Description|Value): ([^\n]*)", text):
        found[name] = description.strip()
    return found


def check_arm(args, core, insns, problems):
    fpu = core["fpu"] if args.float_abi != "soft" else None
    for mnemonic, operands, size in insns:
        base = mnemonic.split(".")[0]
        what = "%s %s" % (mnemonic, operands.strip())
        if mnemonic == "<unknown>":
            problems.append("an instruction the decoder does not know")
        elif fpu is None and mnemonic.startswith("v"):
            problems.append("FPU instruction without an FPU: " + what)
        elif fpu in ("fpv4-sp", "fpv5-sp") and ".f64" in mnemonic:
            problems.append("double-precision instruction on a single-precision FPU: " + what)
        elif fpu == "fpv4-sp" and FPV5_ONLY.match(mnemonic):
            problems.append("FPv5 instruction on FPv4: " + what)
        elif not core.get("mve") and (Q_REGISTER.search(operands) or LOW_OVERHEAD_LOOPS.match(base)
                                      or MVE_ONLY.match(base)):
            problems.append("MVE or armv8.1-m instruction: " + what)
        elif not core["dsp"] and DSP_MNEMONICS.match(base):
            problems.append("DSP instruction on a core without the DSP extension: " + what)
        elif core["v6m"] and size == 4 and base not in V6M_32BIT:
            problems.append("32-bit Thumb-2 instruction on armv6-m: " + what)
        elif core["v6m"] and V6M_MISSING_16BIT.match(base):
            problems.append("Thumb-2 instruction on armv6-m: " + what)
    attrs = arm_attributes(args.readelf, args.object)
    expect = {"CPU_arch": core["arch"], "FP_arch": FP_ARCH.get(fpu),
              "ABI_HardFP_use": "Single-Precision" if fpu in ("fpv4-sp", "fpv5-sp") else None,
              "ABI_VFP_args": "AAPCS VFP" if args.float_abi == "hard" else None}
    if core["arch"] in ("ARM v8-M Mainline", "ARM v8.1-M Mainline"):  # armv7e-m implies DSP; armv8-m says it
        expect["DSP_extension"] = "Permitted" if core["dsp"] else None
    # MVE lives in the FP registers: -mfloat-abi=soft (no FP registers) has none of it
    expect["MVE_arch"] = "MVE integer and float" if core.get("mve") == "fp" and fpu is not None else None
    for tag, value in expect.items():
        if attrs.get(tag) != value:
            problems.append("Tag_%s is %s, expected %s" % (tag, attrs.get(tag, "absent"), value or "absent"))
    return ", ".join("%s=%s" % (t, attrs[t]) for t in expect if t in attrs)


def check_riscv(args, core, insns, problems):
    has = set(core["extensions"])
    for mnemonic, operands, size in insns:
        what = "%s %s" % (mnemonic, operands.strip())
        if mnemonic == "<unknown>":
            problems.append("an instruction the decoder does not know")
        elif "f" not in has and mnemonic.startswith(("f", "c.f")) and not mnemonic.startswith("fence"):
            problems.append("F/D instruction without the F extension: " + what)
        elif "d" not in has and re.search(r"\.d\b|^c?\.?f[ls]d$", mnemonic):
            problems.append("D instruction without the D extension: " + what)
        elif "a" not in has and re.match(r"^(?:lr|sc|amo\w+)\.", mnemonic):
            problems.append("atomic instruction without the A extension: " + what)
        elif "c" not in has and size == 2:
            problems.append("compressed instruction without the C extension: " + what)
    text = run([args.readelf, "-A", "-h", args.object])
    arch = re.search(r"TagName: arch\s*\n\s*Value: (\S+)", text)
    flags = re.search(r"Flags:\s*(.*)", text).group(1)
    if not arch:
        problems.append("no Tag_RISCV_arch")
        return flags
    letters = {part[0] for part in arch.group(1)[4:].split("_") if part and not part.startswith(("z", "x", "s"))}
    if letters != has:
        problems.append("Tag_RISCV_arch %s has the extensions %s, expected %s"
                        % (arch.group(1), "".join(sorted(letters)), "".join(sorted(has))))
    abi = core["float_abi"]
    # llvm-readelf names a hard-float ABI ("single-float ABI", "double-float ABI"), not soft
    if (abi is None and "float ABI" in flags) or (abi is not None and abi not in flags):
        problems.append("ELF flags '%s': expected %s" % (flags, abi or "the soft-float ABI"))
    return "arch=%s flags=%s" % (arch.group(1), flags)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("object")
    p.add_argument("target", choices=sorted(ARM) + sorted(RISCV))
    p.add_argument("--float-abi", choices=("hard", "softfp", "soft"))
    p.add_argument("--objdump", default="llvm-objdump")
    p.add_argument("--readelf", default="llvm-readelf")
    p.add_argument("--nm", default="llvm-nm")
    args = p.parse_args()
    problems = []
    insns = instructions(args.objdump, args.object, args.target in ARM)
    if not insns:
        problems.append("no instructions found (did the disassembly format change?)")
    if args.target in ARM:
        core = ARM[args.target]
        if args.float_abi is None:
            args.float_abi = "hard" if core["fpu"] else "soft"
        if core["fpu"] is None and args.float_abi != "soft":
            sys.exit("check_isa: %s has no FPU" % args.target)
        attrs = check_arm(args, core, insns, problems)
    else:
        attrs = check_riscv(args, RISCV[args.target], insns, problems)
    undefined = run([args.nm, "-u", args.object]).split()
    undefined = [s for s in undefined if s != "U"]
    for symbol in undefined:
        if not ALLOWED_UNDEFINED.match(symbol):
            problems.append("undefined symbol that is no compiler-runtime helper: " + symbol)
    fp = sum(1 for m, _, _ in insns if m.startswith("v" if args.target in ARM else "f")
             and not m.startswith("fence"))
    print("%s%s: %d instructions (%d 32-bit, %d floating point); %s; undefined: %s" % (
        args.target, "" if args.float_abi in (None, "hard") or args.target in RISCV else " " + args.float_abi,
        len(insns), sum(1 for _, _, s in insns if s == 4), fp, attrs, " ".join(undefined) or "none"))
    # up to 3 of each kind (the text before the first ": "), so that every kind shows
    shown = {}
    for problem in problems:
        kind = problem.split(": ", 1)[0]
        shown[kind] = shown.get(kind, 0) + 1
        if shown[kind] <= 3:
            print("error: " + problem)
    for kind, count in shown.items():
        if count > 3:
            print("error: %s: %d more" % (kind, count - 3))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
