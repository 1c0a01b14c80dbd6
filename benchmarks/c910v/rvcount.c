/* rvcount: a QEMU 5.2 TCG plugin that counts the guest instructions executed, and among
 * them the RISC-V vector ones (OP-V 0x57, and LOAD-FP/STORE-FP with a vector width).
 * Inline counters (no callback per instruction): the count is exact for one vCPU, which
 * is what a single-threaded run uses. At exit it appends "rvcount: insns N vector M" to
 * the file given as the plugin argument out=PATH, else writes it to stderr (QEMU 5.2
 * shows qemu_plugin_outs only with -d plugin). benchmarks/c910v_instructions.py uses it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t total, vector;
static char outpath[512];

static int is_vector(const uint8_t *b, size_t len)
{
    uint32_t w, op, width;
    if (len != 4) return 0;
    w = b[0] | b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    op = w & 0x7f;
    width = (w >> 12) & 7;
    if (op == 0x57) return 1;
    if ((op == 0x07 || op == 0x27) && (width == 0 || width >= 5)) return 1;
    return 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t i, n = qemu_plugin_tb_n_insns(tb);
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &total, 1);
        if (is_vector(qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn)))
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &vector, 1);
    }
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
    FILE *f = outpath[0] ? fopen(outpath, "a") : NULL;
    fprintf(f ? f : stderr, "rvcount: insns %" PRIu64 " vector %" PRIu64 "\n", total, vector);
    if (f) fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    int i;
    for (i = 0; i < argc; i++)
        if (!strncmp(argv[i], "out=", 4))
            snprintf(outpath, sizeof(outpath), "%s", argv[i] + 4);
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
