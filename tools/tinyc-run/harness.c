/* harness.c - runs a model compiled by tinyc (interface: docs/INTERFACE.md) on one set of
 * test inputs and prints its outputs for tinyc-run to compare.
 *
 * Built by tinyc-run with -I WORK, where WORK holds the generated model.h (-name=model) and
 * data.c (the inputs, see the declarations below), for every target. Besides running the
 * model it checks the parts of the interface contract that the outputs alone do not show:
 *  - two calls, the first on an arena and outputs filled with 0xA5, the second on another
 *    arena and other outputs filled with 0x5A, must both return 0 and give bit-identical
 *    outputs: a model that reads scratch memory it did not write, leaves output bytes
 *    unwritten or keeps state between calls fails this;
 *  - model_run must refuse (return nonzero) an arena that is not aligned as MODEL_ARENA_ALIGN
 *    demands.
 * Only the first call lies between tinyc_region_begin() and tinyc_region_end(), the markers
 * at which the insncount QEMU plugin starts and stops counting.
 *
 * A model compiled with --layer-markers calls tinyc_layer_begin(i) and tinyc_layer_end()
 * around each layer; the harness defines both for every model (one compiled without the
 * markers never calls them). Before anything else it calls one empty pair, so that a
 * plugin counting between the layer markers first records what the markers themselves
 * cost, which tinyc-run subtracts from every layer.
 *
 * Buffers: with TINYC_HARNESS_MALLOC (native targets) every input, output and arena is a
 * heap block of exactly its size, so AddressSanitizer sees any access past its end; inputs
 * are copied into such blocks. A model compiled with -sanitize=address also has gaps
 * between the tensors of its arena (MODEL_ARENA_REDZONES in model.h); built with
 * AddressSanitizer, the harness poisons them in each arena once it is filled, so that an
 * overrun from one tensor towards the next is reported too, not only one past the arena. Otherwise (MCU boards, no useful heap for megabytes) they
 * come from one static pool of TINYC_HARNESS_POOL_BYTES bytes, which tinyc-run sizes from
 * model.h, placed in section TINYC_HARNESS_BUFFER_SECTION where the target defines one
 * (a board's big external RAM), and the inputs are used where data.c put them (flash).
 *
 * With TINYC_HARNESS_STACK_PAINT (tinyc-run --stack, MCU boards) the second call measures
 * the stack it uses: run_painted() fills the TINYC_HARNESS_STACK_PAINT bytes below its own
 * stack pointer with a pattern, calls model_run from there and finds the lowest word the call
 * changed. The harness's own frame lies above that stack pointer and is not counted; the
 * figure is from the stack pointer at the call down, as MODEL_STACK_BYTES is, and it is
 * printed as "tinyc-stack <bytes>" (no interrupt handler runs on the boards meanwhile).
 *
 * Output format, on stdout:
 *   tinyc-output <index> <bytes>
 *   <the bytes in hex, 32 per line, in memory order>
 *   ...
 *   tinyc-done
 * Exit status: 0 success; 2 the inputs do not fit the model or no memory; 3 the two calls
 * disagree; 4 model_run failed; 5 model_run accepted a misaligned arena.
 */
#if defined(TINYC_HARNESS_MALLOC) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "tinyc_abi.h" /* runtime/: marker names and model_run's return codes */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HARNESS_ASAN 1
#endif
#elif defined(__SANITIZE_ADDRESS__)
#define HARNESS_ASAN 1
#endif
#if defined(HARNESS_ASAN) && defined(MODEL_NUM_ARENA_REDZONES) && MODEL_NUM_ARENA_REDZONES > 0
#include <sanitizer/asan_interface.h>
#define POISON_REDZONES 1
static const size_t arena_redzones[MODEL_NUM_ARENA_REDZONES][2] = MODEL_ARENA_REDZONES;
#endif

/* ---- what data.c provides ---- */
extern const unsigned tinyc_data_num_inputs;
extern const unsigned char *const tinyc_data_inputs[];
extern const size_t tinyc_data_input_bytes[];

#define NUM_INPUTS MODEL_NUM_INPUTS
#define NUM_OUTPUTS MODEL_NUM_OUTPUTS
/* array lengths that stay valid for a model without inputs */
#define INPUT_SLOTS (NUM_INPUTS > 0 ? NUM_INPUTS : 1)
#define OUTPUT_SLOTS (NUM_OUTPUTS > 0 ? NUM_OUTPUTS : 1)

#if NUM_INPUTS > 0
static const size_t input_bytes[INPUT_SLOTS] = MODEL_INPUT_BYTES;
#else
static const size_t input_bytes[1] = {0};
#endif
#if NUM_OUTPUTS > 0
static const size_t output_bytes[OUTPUT_SLOTS] = MODEL_OUTPUT_BYTES;
#else
static const size_t output_bytes[1] = {0};
#endif

#define EXIT_BAD_SETUP 2
#define EXIT_CALLS_DIFFER 3
#define EXIT_RUN_FAILED 4
#define EXIT_MISALIGNED_ACCEPTED 5

/* Every buffer gets at least this alignment: enough for any ONNX element type. */
#define BUFFER_ALIGN 16

/* ---- the region markers for the instruction counter ---- */

/* Their bodies differ so that no identical-code folding can merge the two symbols, and they
 * are not inlined so that each keeps an address of its own. */
volatile unsigned tinyc_region_state;
__attribute__((noinline, used)) void TINYC_ABI_REGION_BEGIN(void)
{
    tinyc_region_state = 1u;
}
__attribute__((noinline, used)) void TINYC_ABI_REGION_END(void)
{
    tinyc_region_state = 2u;
}

/* The same holds for the layer markers, whose bodies also differ from the region markers'. */
volatile int32_t tinyc_layer_current;
__attribute__((noinline, used)) void TINYC_ABI_LAYER_BEGIN(int32_t layer)
{
    tinyc_layer_current = layer;
}
__attribute__((noinline, used)) void TINYC_ABI_LAYER_END(void)
{
    tinyc_layer_current = INT32_MIN;
}

/* The argument of the calibrating pair: volatile, so that the compiler cannot specialise
 * tinyc_layer_begin for a constant argument and call a clone the plugin does not watch. */
static volatile int32_t calibration_layer = -1;

/* ---- the painted stack ---- */

#if defined(TINYC_HARNESS_STACK_PAINT)
#define PAINT_WORD 0xC5A3E1F7u /* a word the model is unlikely to store */
#define PAINT_WORDS (TINYC_HARNESS_STACK_PAINT / 4)
static size_t stack_used;

/* The stack pointer where this function calls model_run: the body neither pushes nor
 * allocates, so it is the stack pointer after the prologue. */
__attribute__((noinline)) static int run_painted(const void *const in[], void *const out[], void *arena)
{
    uintptr_t sp;
    volatile uint32_t *bottom;
    size_t i;
    int rc;
#if defined(__arm__) || defined(__thumb__)
    __asm__ volatile("mov %0, sp" : "=r"(sp));
#elif defined(__riscv)
    __asm__ volatile("mv %0, sp" : "=r"(sp));
#elif defined(__x86_64__)
    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
#else
#error "TINYC_HARNESS_STACK_PAINT: no way to read the stack pointer on this target"
#endif
    sp &= ~(uintptr_t)3;
    bottom = (volatile uint32_t *)(sp - TINYC_HARNESS_STACK_PAINT);
    /* a loop, not memset: memset's own frame would lie in the region it paints */
    for (i = 0; i < PAINT_WORDS; i++)
        bottom[i] = PAINT_WORD;
    rc = model_run(in, out, arena);
    for (i = 0; i < PAINT_WORDS && bottom[i] == PAINT_WORD; i++)
        ;
    stack_used = sp - (uintptr_t)(bottom + i);
    return rc;
}
#endif

/* ---- buffers ---- */

static void fail_setup(const char *what, size_t bytes)
{
    printf("tinyc-harness: %s (%lu bytes)\n", what, (unsigned long)bytes);
    exit(EXIT_BAD_SETUP);
}

#if defined(TINYC_HARNESS_MALLOC)

/* A heap block of exactly `bytes` (a zero-byte buffer still gets a unique address). */
static void *alloc_buffer(size_t bytes, size_t align)
{
    void *p = NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    if (posix_memalign(&p, align, bytes ? bytes : 1) != 0)
        fail_setup("out of memory", bytes);
    return p;
}

#else

#ifndef TINYC_HARNESS_POOL_BYTES
#error "tinyc-run defines TINYC_HARNESS_POOL_BYTES: the bytes of all arenas and outputs"
#endif
#if defined(TINYC_HARNESS_BUFFER_SECTION)
#define POOL_PLACEMENT __attribute__((section(TINYC_HARNESS_BUFFER_SECTION), aligned(64)))
#else
#define POOL_PLACEMENT __attribute__((aligned(64)))
#endif
static unsigned char pool[TINYC_HARNESS_POOL_BYTES] POOL_PLACEMENT;
static size_t pool_used;

/* The next `bytes` of the pool at the requested alignment. */
static void *alloc_buffer(size_t bytes, size_t align)
{
    uintptr_t base = (uintptr_t)pool + pool_used;
    uintptr_t start = (base + (align - 1)) & ~(uintptr_t)(align - 1);
    size_t end = (size_t)(start - (uintptr_t)pool) + (bytes ? bytes : 1);
    if (end > sizeof pool)
        fail_setup("TINYC_HARNESS_POOL_BYTES too small", bytes);
    pool_used = end;
    return (void *)start;
}

#endif

struct run_buffers {
    void *outputs[OUTPUT_SLOTS];
    unsigned char *arena;
};

static void alloc_run_buffers(struct run_buffers *b)
{
    unsigned i;
    for (i = 0; i < NUM_OUTPUTS; i++)
        b->outputs[i] = alloc_buffer(output_bytes[i], BUFFER_ALIGN);
    b->arena = alloc_buffer(MODEL_ARENA_BYTES, MODEL_ARENA_ALIGN > BUFFER_ALIGN ? MODEL_ARENA_ALIGN : BUFFER_ALIGN);
}

/* Fill arena and outputs with one byte, so that anything the model reads without writing
 * it first, or fails to write, differs between the two calls. */
static void fill_bytes(void *p, int byte, size_t n)
{
    memset(p, byte, n); /* a function of its own: MODEL_ARENA_BYTES may be a literal 0 */
}

/* Poisons (or unpoisons) the arena's red zones: bytes no tensor uses, which only a loop
 * running past its tensor touches. */
static void poison_redzones(unsigned char *arena, int poison)
{
#if defined(POISON_REDZONES)
    unsigned i;
    for (i = 0; i < MODEL_NUM_ARENA_REDZONES; i++) {
        if (poison)
            __asan_poison_memory_region(arena + arena_redzones[i][0], arena_redzones[i][1]);
        else
            __asan_unpoison_memory_region(arena + arena_redzones[i][0], arena_redzones[i][1]);
    }
#else
    (void)arena;
    (void)poison;
#endif
}

static void fill_run_buffers(struct run_buffers *b, int byte)
{
    unsigned i;
    for (i = 0; i < NUM_OUTPUTS; i++)
        fill_bytes(b->outputs[i], byte, output_bytes[i]);
    poison_redzones(b->arena, 0);
    fill_bytes(b->arena, byte, MODEL_ARENA_BYTES);
    poison_redzones(b->arena, 1);
}

/* ---- output ---- */

static void print_hex(const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char line[2 * 32 + 2];
    size_t i, at = 0;
    for (i = 0; i < n; i++) {
        line[at++] = digits[p[i] >> 4];
        line[at++] = digits[p[i] & 0xfu];
        if (at == 2 * 32 || i + 1 == n) {
            line[at++] = '\n';
            line[at] = '\0';
            fputs(line, stdout);
            at = 0;
        }
    }
}

/* File scope rather than locals: heap blocks referenced from here stay reachable at exit,
 * so LeakSanitizer has nothing to report on any exit path. */
static const void *inputs[INPUT_SLOTS];
static struct run_buffers first, second;

int main(void)
{
    unsigned i;
    int rc1, rc2;

    /* the empty pair that measures the layer markers' own instructions */
    TINYC_ABI_LAYER_BEGIN(calibration_layer);
    TINYC_ABI_LAYER_END();

    if (tinyc_data_num_inputs != NUM_INPUTS) {
        printf("tinyc-harness: data.c has %u inputs, the model %u\n", tinyc_data_num_inputs, (unsigned)NUM_INPUTS);
        return EXIT_BAD_SETUP;
    }
    for (i = 0; i < NUM_INPUTS; i++) {
        if (tinyc_data_input_bytes[i] != input_bytes[i]) {
            printf("tinyc-harness: input %u has %lu bytes, the model expects %lu\n", i,
                   (unsigned long)tinyc_data_input_bytes[i], (unsigned long)input_bytes[i]);
            return EXIT_BAD_SETUP;
        }
#if defined(TINYC_HARNESS_MALLOC)
        {
            void *copy = alloc_buffer(input_bytes[i], BUFFER_ALIGN);
            memcpy(copy, tinyc_data_inputs[i], input_bytes[i]);
            inputs[i] = copy;
        }
#else
        inputs[i] = tinyc_data_inputs[i];
#endif
    }

    alloc_run_buffers(&first);
    alloc_run_buffers(&second);

    fill_run_buffers(&first, 0xA5);
    TINYC_ABI_REGION_BEGIN();
    rc1 = model_run(inputs, first.outputs, first.arena);
    TINYC_ABI_REGION_END();

    fill_run_buffers(&second, 0x5A);
#if defined(TINYC_HARNESS_STACK_PAINT)
    rc2 = run_painted(inputs, second.outputs, second.arena);
#else
    rc2 = model_run(inputs, second.outputs, second.arena);
#endif

    if (rc1 != TINYC_ABI_RUN_OK) {
        printf("tinyc-harness: model_run returned %d\n", rc1);
        return EXIT_RUN_FAILED;
    }
    if (rc2 != TINYC_ABI_RUN_OK) {
        printf("tinyc-harness: the second model_run returned %d, the first %d\n", rc2, rc1);
        return EXIT_CALLS_DIFFER;
    }
    for (i = 0; i < NUM_OUTPUTS; i++) {
        const unsigned char *a = first.outputs[i], *b = second.outputs[i];
        size_t k;
        for (k = 0; k < output_bytes[i]; k++)
            if (a[k] != b[k])
                break;
        if (k < output_bytes[i]) {
            printf("tinyc-harness: output %u differs between two calls at byte %lu (0x%02x after an arena "
                   "and outputs filled with 0xA5, 0x%02x after 0x5A): the model reads memory it did not "
                   "write, leaves output bytes unwritten or keeps state\n",
                   i, (unsigned long)k, a[k], b[k]);
            return EXIT_CALLS_DIFFER;
        }
    }
#if defined(TINYC_HARNESS_MALLOC)
    for (i = 0; i < NUM_INPUTS; i++) {
        if (memcmp(inputs[i], tinyc_data_inputs[i], input_bytes[i]) != 0) {
            printf("tinyc-harness: model_run wrote to input %u\n", i);
            return EXIT_CALLS_DIFFER;
        }
    }
#endif

    if (MODEL_ARENA_ALIGN > 1 && MODEL_ARENA_BYTES > 0) {
        /* the contract: a misaligned arena is refused before anything is written */
        int rc = model_run(inputs, second.outputs, second.arena + 1);
        if (rc != TINYC_ABI_RUN_MISALIGNED_ARENA) {
            printf("tinyc-harness: model_run returned %d, not TINYC_ABI_RUN_MISALIGNED_ARENA (%d), for an arena "
                   "misaligned for MODEL_ARENA_ALIGN %lu\n", rc, TINYC_ABI_RUN_MISALIGNED_ARENA,
                   (unsigned long)MODEL_ARENA_ALIGN);
            return EXIT_MISALIGNED_ACCEPTED;
        }
    }

    for (i = 0; i < NUM_OUTPUTS; i++) {
        printf("tinyc-output %u %lu\n", i, (unsigned long)output_bytes[i]);
        print_hex(first.outputs[i], output_bytes[i]);
    }
#if defined(TINYC_HARNESS_STACK_PAINT)
    /* the whole painted region changed: the call used at least that much */
    printf("tinyc-stack %lu%s\n", (unsigned long)stack_used,
           stack_used >= TINYC_HARNESS_STACK_PAINT ? " or more" : "");
#endif
    printf("tinyc-done\n");
    fflush(stdout);
    return 0;
}
