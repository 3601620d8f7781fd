/* The part of QEMU's TCG plugin API (version 1, QEMU 5.2 to 8.1) that insncount.c uses.
 *
 * Debian ships the qemu-system binaries with plugin support (they export the qemu_plugin_*
 * symbols) but no qemu-plugin.h, so the declarations are repeated here. They must match the
 * ABI of QEMU 7.2: a plugin is loaded with dlopen and these calls are resolved against the
 * running QEMU binary. */
#ifndef TINYC_QEMU_PLUGIN_V1_H
#define TINYC_QEMU_PLUGIN_V1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/* passed to qemu_plugin_install */
typedef struct qemu_info_t {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union { /* anonymous in QEMU's header; named here to stay C99, same layout */
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    } mode;
} qemu_info_t;

struct qemu_plugin_tb;   /* a translation block being translated */
struct qemu_plugin_insn; /* one guest instruction of it */

enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS,
    QEMU_PLUGIN_CB_R_REGS,
    QEMU_PLUGIN_CB_RW_REGS,
};

enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

/* called for every translation block QEMU translates */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
/* generated code: *ptr += imm each time the instruction executes */
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
/* a call to cb each time the instruction executes */
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
/* writes to QEMU's log (stderr with -d plugin) */
void qemu_plugin_outs(const char *string);

#endif /* TINYC_QEMU_PLUGIN_V1_H */
