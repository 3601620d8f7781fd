/* Runs the model tinyc compiled (kws.h, libkws.a) once on the bundled input and prints its
 * outputs. Everything the model needs is here: the input, the output buffer and the arena, all
 * sized by kws.h's macros; the model itself calls nothing (no malloc, no libc). */
#include <stdint.h>
#include <stdio.h>

#include "kws.h"

/* newlib's semihosting stdio (librdimon) opens the host's console here. */
extern void initialise_monitor_handles(void);

extern const KWS_INPUT0_CTYPE kws_input[KWS_INPUT0_COUNT];

/* The arena: every intermediate tensor, reused layer by layer. Static here; it can be any
 * memory with this alignment (docs/integration.md). */
static uint8_t arena[KWS_ARENA_BYTES] __attribute__((aligned(KWS_ARENA_ALIGN)));
static KWS_OUTPUT0_CTYPE scores[KWS_OUTPUT0_COUNT];

int main(void)
{
    initialise_monitor_handles();
    int status = kws_invoke(kws_input, scores, arena);
    if (status != 0) {
        printf("kws_run failed: %d\n", status);
        return 1;
    }
    int best = 0;
    for (int i = 0; i < KWS_OUTPUT0_COUNT; ++i) {
        printf("%s[%d] = %.9g\n", KWS_OUTPUT0_NAME, i, (double)scores[i]);
        if (scores[i] > scores[best])
            best = i;
    }
    printf("top-1: %d  (arena %d bytes, stack bound %d bytes)\n", best, KWS_ARENA_BYTES,
           KWS_STACK_BYTES);
    return 0;
}
