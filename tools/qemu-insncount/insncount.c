/* insncount - a QEMU TCG plugin that counts the guest instructions a program executes,
 * in total and between two marker functions.
 *
 *   qemu-system-arm ... -plugin libinsncount.so,begin=0xADDR,end=0xADDR,out=FILE
 *
 * begin, end: addresses of the first instruction of the two marker functions (for Thumb
 *             code without the Thumb bit). Each time `begin` starts, the count is noted;
 *             each time `end` starts, the instructions since then are recorded as a region.
 *             So a region holds every instruction from the first one of `begin` up to, not
 *             including, the first one of `end`, whatever the order in which QEMU runs the
 *             counting and the marker code of one instruction (it is the same at both ends).
 * out:        file for the report (default: QEMU's log, which -d plugin sends to stderr).
 *
 * The report has lines "insns_total: N", "regions: N", "region_total: N" and "region[i]: N"
 * for every region (a per-layer profile has hundreds).
 * Counting is exact because an inline add is generated for every instruction; the count is
 * deterministic for code without asynchronous interrupts. Build:
 *   cc -O2 -shared -fPIC -o libinsncount.so insncount.c
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-v1.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* The plugin state. QEMU calls into a plugin from its vCPU threads; the boards used here
 * have one vCPU, so plain variables suffice and the inline add needs no atomics. */
static uint64_t insn_count;
static uint64_t begin_addr, end_addr;
static int have_markers;
static uint64_t region_start;
static int region_open;
static uint64_t *regions; /* the first `regions_kept` regions: all unless memory ran out */
static unsigned long regions_kept, regions_capacity;
static uint64_t region_total;
static unsigned long region_count;
static char *out_path;

static void on_begin(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    region_start = insn_count;
    region_open = 1;
}

static void on_end(unsigned int vcpu_index, void *userdata)
{
    uint64_t n;
    (void)vcpu_index;
    (void)userdata;
    if (!region_open)
        return; /* an end without a begin: nothing to measure */
    n = insn_count - region_start;
    if (regions_kept == region_count) { /* none lost yet, so the kept ones stay the first */
        if (regions_kept == regions_capacity) {
            unsigned long capacity = regions_capacity ? 2 * regions_capacity : 64;
            uint64_t *grown = realloc(regions, capacity * sizeof *regions);
            if (grown) {
                regions = grown;
                regions_capacity = capacity;
            }
        }
        if (regions_kept < regions_capacity)
            regions[regions_kept++] = n;
    }
    region_count++;
    region_total += n;
    region_open = 0;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t i, n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t addr = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, 1);
        if (have_markers && addr == begin_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (have_markers && addr == end_addr)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    }
}

static void write_report(qemu_plugin_id_t id, void *userdata)
{
    size_t size = 64 * ((size_t)regions_kept + 3), at = 0; /* 64 characters hold any line */
    char *report = malloc(size);
    unsigned long i;
    (void)id;
    (void)userdata;
    if (!report) {
        fprintf(stderr, "insncount: no memory for the report\n");
        return;
    }
    at += (size_t)snprintf(report + at, size - at, "insns_total: %" PRIu64 "\n", insn_count);
    if (have_markers) {
        at += (size_t)snprintf(report + at, size - at, "regions: %lu\nregion_total: %" PRIu64 "\n",
                               region_count, region_total);
        for (i = 0; i < regions_kept; i++)
            at += (size_t)snprintf(report + at, size - at, "region[%lu]: %" PRIu64 "\n", i,
                                   regions[i]);
    }
    if (out_path) {
        FILE *f = fopen(out_path, "w");
        if (f) {
            fputs(report, f);
            fclose(f);
        } else {
            fprintf(stderr, "insncount: cannot write %s\n", out_path);
        }
    } else {
        qemu_plugin_outs(report);
    }
    free(report);
}

static int parse_address(const char *text, uint64_t *value)
{
    char *rest;
    *value = strtoull(text, &rest, 0);
    return rest != text && *rest == '\0';
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    int i, have_begin = 0, have_end = 0;
    (void)info;
    for (i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!strncmp(arg, "begin=", 6) && parse_address(arg + 6, &begin_addr)) {
            have_begin = 1;
        } else if (!strncmp(arg, "end=", 4) && parse_address(arg + 4, &end_addr)) {
            have_end = 1;
        } else if (!strncmp(arg, "out=", 4) && arg[4]) {
            free(out_path);
            out_path = strdup(arg + 4);
        } else {
            fprintf(stderr, "insncount: bad argument '%s' (expected begin=ADDR, end=ADDR, out=FILE)\n", arg);
            return -1;
        }
    }
    if (have_begin != have_end) {
        fprintf(stderr, "insncount: begin= and end= go together\n");
        return -1;
    }
    have_markers = have_begin;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_report, NULL);
    return 0;
}
