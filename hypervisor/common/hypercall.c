/* The hypercall table. Numbers not in it return -ENOSYS. */
#include <basalt/domain.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <lib/basalt_ctl.h>

static const hypercall_fn_t table[] = {
    [__HYPERVISOR_xen_version] = do_xen_version,
    [__HYPERVISOR_console_io] = do_console_io,
    [__HYPERVISOR_sched_op] = do_sched_op,
    [__HYPERVISOR_memory_op] = do_memory_op,
    [__HYPERVISOR_hvm_op] = do_hvm_op,
    [__HYPERVISOR_vcpu_op] = do_vcpu_op,
    [__HYPERVISOR_event_channel_op] = do_event_channel_op,
    [__HYPERVISOR_grant_table_op] = do_grant_table_op,
    [__HYPERVISOR_vm_assist] = do_vm_assist,
    [__HYPERVISOR_set_timer_op] = do_set_timer_op,
    [__HYPERVISOR_platform_op] = do_platform_op,
    [__HYPERVISOR_physdev_op] = do_physdev_op,
    [__HYPERVISOR_dm_op] = do_dm_op,
    [__HYPERVISOR_basalt_ctl] = do_basalt_ctl,
    [__HYPERVISOR_multicall] = do_multicall,
};

long hypercall_dispatch(struct vcpu *v, uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                        uint64_t a4, uint64_t a5)
{
    if (nr >= ARRAY_SIZE(table) || !table[nr]) {
        pr_debug("d%u v%u: unknown hypercall %lu\n", v->dom->id, v->id, nr);
        return -ENOSYS;
    }
    return table[nr](v, a1, a2, a3, a4, a5);
}
