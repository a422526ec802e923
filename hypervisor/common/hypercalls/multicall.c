/*
 * multicall: a list of hypercalls run one after the other, each one's
 * return value stored in its entry. Libxenctrl 4.17 sends every memory_op
 * this way (xc_memory_op, for a full-width result), so QEMU's populate of
 * its VRAM arrives here. Only 64-bit callers (Dom0's tools): a 32-bit
 * caller's entries have another layout, and no 32-bit guest needs them.
 *
 * An entry that asks to be run again (a long operation giving the CPU
 * back) gets its rewritten arguments stored back in the list, and the
 * multicall itself continues from that entry; so does a list longer than
 * one batch. An entry may not be a multicall.
 */
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>

#define MULTICALL_BATCH 32 /* entries per call before the CPU is given back */

long do_multicall(struct vcpu *v, uint64_t list, uint64_t nr_calls, uint64_t a3, uint64_t a4,
                  uint64_t a5)
{
    (void)a3, (void)a4, (void)a5;
    if (arch_hypercall_from_32bit(v))
        return -ENOSYS;
    for (uint64_t i = 0; i < nr_calls; i++) {
        struct multicall_entry e;
        uint64_t at = list + i * sizeof(e);
        if (i == MULTICALL_BATCH) {
            hypercall_continue(v, 2, nr_calls - i);
            return hypercall_continue(v, 1, at);
        }
        if (copy_from_guest(v, &e, at, sizeof(e)))
            return -EFAULT;
        long rc;
        if (e.op == __HYPERVISOR_multicall) {
            rc = -EINVAL;
        } else {
            v->multicall_args = e.args;
            rc = hypercall_dispatch(v, e.op, e.args[0], e.args[1], e.args[2], e.args[3],
                                    e.args[4]);
            v->multicall_args = NULL;
        }
        if (rc == HYPERCALL_RESTART) {
            if (copy_to_guest(v, at, &e, sizeof(e)))
                return -EFAULT;
            hypercall_continue(v, 2, nr_calls - i);
            return hypercall_continue(v, 1, at);
        }
        e.result = (xen_ulong_t)rc;
        if (copy_to_guest(v, at + offsetof(struct multicall_entry, result), &e.result,
                          sizeof(e.result)))
            return -EFAULT;
    }
    return 0;
}
