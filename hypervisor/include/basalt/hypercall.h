/* Hypercall dispatch: Xen's numbers and register convention. */
#ifndef BASALT_HYPERCALL_H
#define BASALT_HYPERCALL_H

#include <basalt/types.h>
#include <xen/xen.h>

struct vcpu;

typedef long (*hypercall_fn_t)(struct vcpu *v, uint64_t a1, uint64_t a2, uint64_t a3,
                               uint64_t a4, uint64_t a5);

/* Runs hypercall nr for v; returns the value for RAX. */
long hypercall_dispatch(struct vcpu *v, uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                        uint64_t a4, uint64_t a5);

/* Set by a hypercall that must not return to the guest yet (it will be
 * re-executed): the VMMCALL is not skipped. */
#define HYPERCALL_RESTART (-0x7fffffffL)

/* Rewrites argument argno (1-5) of the current hypercall and asks for it to
 * be re-executed: how long operations give the CPU back between batches. */
long hypercall_continue(struct vcpu *v, unsigned int argno, uint64_t val);

long do_xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
long do_console_io(struct vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf, uint64_t, uint64_t);
long do_sched_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
long do_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
long do_hvm_op(struct vcpu *v, uint64_t op, uint64_t arg, uint64_t, uint64_t, uint64_t);
long do_vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t, uint64_t);
long do_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
long do_grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count, uint64_t, uint64_t);
long do_vm_assist(struct vcpu *v, uint64_t cmd, uint64_t type, uint64_t, uint64_t, uint64_t);
long do_set_timer_op(struct vcpu *v, uint64_t timeout, uint64_t, uint64_t, uint64_t, uint64_t);
long do_platform_op(struct vcpu *v, uint64_t arg, uint64_t, uint64_t, uint64_t, uint64_t);
long do_physdev_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t, uint64_t, uint64_t);
/* memory_op sub-operations kept in their own files. XENMEM_acquire_resource
 * is in the ABI headers' tools-only part; its file checks this number. */
#define MEMORY_OP_ACQUIRE_RESOURCE 28
long memory_acquire_resource(struct vcpu *v, uint64_t arg);
long memory_set_memory_map(struct vcpu *v, uint64_t arg);
long do_dm_op(struct vcpu *v, uint64_t domid, uint64_t nr_bufs, uint64_t bufs, uint64_t, uint64_t);
long do_basalt_ctl(struct vcpu *v, uint64_t arg, uint64_t, uint64_t, uint64_t, uint64_t);
long do_multicall(struct vcpu *v, uint64_t list, uint64_t nr_calls, uint64_t, uint64_t, uint64_t);
struct basalt_mem_write;
/* BCTL_DOMAIN_WRITE (common/hypercalls/basalt_ctl_memory.c). */
long basalt_ctl_domain_write(struct vcpu *v, struct domain *d, struct basalt_mem_write *w);
/* Saving and restoring (basalt_ctl_save.c): BCTL_DOMAIN_READ,
 * BCTL_VCPU_GET_STATE / SET_STATE, BCTL_DOMAIN_GET_MEMMAP, BCTL_DOMAIN_RESUME. */
struct basalt_mem_read;
struct basalt_vcpu_state_buf;
struct basalt_memmap;
long basalt_ctl_domain_read(struct vcpu *v, struct domain *d, struct basalt_mem_read *r);
long basalt_ctl_vcpu_state(struct vcpu *v, struct domain *d, struct basalt_vcpu_state_buf *b, bool set);
long basalt_ctl_get_memmap(struct vcpu *v, struct domain *d, struct basalt_memmap *m);
long basalt_ctl_domain_resume(struct domain *d);

#endif
