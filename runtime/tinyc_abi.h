/* tinyc_abi.h - the names and values that the compiler, the runtime and the runner must agree on.
 *
 * One definition, included by the compiler (C++: lib/), the runtime (C: tinyc_runtime.h,
 * tinyc_math.c) and the runner (tools/tinyc-run: harness.c includes it, the Python driver reads
 * its #defines), after IREE's ukernel exported_bits.h. Changing a value here changes it
 * everywhere; nothing else spells these names or numbers. Only object-like #defines of one
 * token, so that C, C++ and a regular expression read it alike.
 *
 * Symbols are given as identifiers; TINYC_ABI_STR makes a string of one (for C++ and LLVM).
 */
#ifndef TINYC_ABI_H
#define TINYC_ABI_H

#define TINYC_ABI_STR_(x) #x
#define TINYC_ABI_STR(x) TINYC_ABI_STR_(x)

/* The runtime functions that generated code calls (tinyc_runtime.h says what each computes).
 * The compiler links them in from bitcode and calls them by these names; its constant folder
 * calls the same C functions. */
#define TINYC_ABI_EXPF tinyc_expf
#define TINYC_ABI_TANHF tinyc_tanhf
#define TINYC_ABI_SIGMOIDF tinyc_sigmoidf
#define TINYC_ABI_ROUNDEVENF tinyc_roundevenf
#define TINYC_ABI_SQRTF tinyc_sqrtf
#define TINYC_ABI_EXP tinyc_exp
#define TINYC_ABI_LOGF tinyc_logf
#define TINYC_ABI_SINF tinyc_sinf
#define TINYC_ABI_COSF tinyc_cosf
#define TINYC_ABI_TANF tinyc_tanf
#define TINYC_ABI_ASINF tinyc_asinf
#define TINYC_ABI_ACOSF tinyc_acosf
#define TINYC_ABI_ATANF tinyc_atanf
#define TINYC_ABI_SINHF tinyc_sinhf
#define TINYC_ABI_COSHF tinyc_coshf
#define TINYC_ABI_ASINHF tinyc_asinhf
#define TINYC_ABI_ACOSHF tinyc_acoshf
#define TINYC_ABI_ATANHF tinyc_atanhf
#define TINYC_ABI_ERFF tinyc_erff
#define TINYC_ABI_FMODF tinyc_fmodf
#define TINYC_ABI_FMOD tinyc_fmod
#define TINYC_ABI_POWF tinyc_powf

/* Layer markers: code compiled with --layer-markers calls BEGIN(int32_t layer) before layer
 * `layer` and END(void) after it; the firmware (the harness) defines both. */
#define TINYC_ABI_LAYER_BEGIN tinyc_layer_begin
#define TINYC_ABI_LAYER_END tinyc_layer_end

/* Region markers: the harness calls BEGIN(void) and END(void) around the model call whose
 * instructions the insncount QEMU plugin counts (tinyc-run --count). */
#define TINYC_ABI_REGION_BEGIN tinyc_region_begin
#define TINYC_ABI_REGION_END tinyc_region_end

/* Binary layers pack signs and weights into 32-bit words: element i is bit
 * i % BITS of word i / BITS. */
#define TINYC_ABI_BITS_PER_PACKED_WORD 32

/* What <name>_run returns: success, or an arena not aligned to <NAME>_ARENA_ALIGN (checked
 * before anything is read or written). */
#define TINYC_ABI_RUN_OK 0
#define TINYC_ABI_RUN_MISALIGNED_ARENA 1

#endif /* TINYC_ABI_H */
