/*
 * What common code asks of the architecture: the only way common/ reaches a
 * domain's or a vCPU's architectural state. Implemented in arch/x86/
 * (domain.c, hvm/run.c).
 */
#ifndef BASALT_ARCH_H
#define BASALT_ARCH_H

#include <basalt/types.h>

struct domain;
struct domain_config;
struct vcpu;

/* A domain's architectural parts (I/O ports, interrupt controllers), made
 * by domain_create once the p2m exists and before any vCPU. Destroying
 * undoes whatever part was made, so it is safe on a domain whose creation
 * failed half-way. */
int arch_domain_create(struct domain *d, const struct domain_config *cfg);
void arch_domain_destroy(struct domain *d);

/* A vCPU's architectural parts (control block, FPU state, local APIC). */
int arch_vcpu_create(struct vcpu *v);
void arch_vcpu_destroy(struct vcpu *v);
/* Sets v to start at a PVH entry point: 32-bit flat protected mode, paging
 * off, EBX = the start-info block's address (the x86 PVH boot ABI). */
void arch_vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info);
/* VCPUOP_initialise: checks the register state another vCPU gives v (down,
 * with none of its own) and sets it; -EINVAL leaves v as it was. */
struct vcpu_hvm_context;
int arch_vcpu_initialise(struct vcpu *v, const struct vcpu_hvm_context *ctx);
/* Saving and restoring a domain (hvm/vcpu_save.c), for a vCPU that is not
 * running: its complete state into *s; and *s checked and set (a vCPU of a
 * domain being built), -EINVAL leaving v as it was. */
struct basalt_vcpu_state;
void arch_vcpu_save_state(struct vcpu *v, struct basalt_vcpu_state *s);
int arch_vcpu_load_state(struct vcpu *v, const struct basalt_vcpu_state *s);
/* What the hypercall v made last returns (RAX): a checkpoint's resume. */
void arch_vcpu_set_hypercall_return(struct vcpu *v, uint64_t val);
/* v's TSC when the host's reads host_tsc (what its pvclock records). */
uint64_t arch_vcpu_guest_tsc(const struct vcpu *v, uint64_t host_tsc);
/* Runs v until the scheduler wants a new pick; returns with interrupts off. */
void arch_vcpu_run(struct vcpu *v);

/* True if v is in guest mode now; *entry then names this stint in guest
 * mode (it differs for every entry), so that a waiter can tell when v has
 * left it. */
bool arch_vcpu_in_guest(const struct vcpu *v, uint64_t *entry);
/* An interrupt other than an event-channel upcall is pending for v (from
 * its local APIC, or an NMI): it should wake from HLT or SCHEDOP_block. */
bool arch_vcpu_interrupt_pending(struct vcpu *v);
/* v's evtchn_upcall_pending was just set (with v's domain's event-channel
 * lock held): an HVM guest may take the upcall as an interrupt line. */
void arch_evtchn_upcall_raised(struct vcpu *v);
/* Pages of d's RAM went back to the pool (balloon): device models that
 * map d's memory must drop their mappings (an HVM domain's ioreq servers). */
void arch_domain_memory_released(struct domain *d);
/* The hypercall v is making comes from 32-bit code (protected or
 * compatibility mode): its structures have Xen's 32-bit layout. */
bool arch_hypercall_from_32bit(struct vcpu *v);
/* Prints what the 'd' key shows of v beyond the scheduler's view. */
void arch_vcpu_dump(struct vcpu *v);

#endif
