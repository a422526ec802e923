/* Typed hypercall wrappers for the test guests (raw VMMCALL, Xen's 64-bit convention). */
#ifndef GUEST_HCALL_H
#define GUEST_HCALL_H

#include "guest.h"

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EINVAL 22
#define ENOSPC 28
#define ENOSYS 38

static inline long HYPERVISOR_memory_op(unsigned long cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_memory_op, cmd, (unsigned long)arg);
}

static inline long HYPERVISOR_event_channel_op(unsigned long cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, cmd, (unsigned long)arg);
}

static inline long HYPERVISOR_grant_table_op(unsigned long cmd, void *arg, unsigned long count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)arg, count);
}

static inline long HYPERVISOR_vcpu_op(unsigned long cmd, unsigned long vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, (unsigned long)arg);
}

static inline long HYPERVISOR_sched_op(unsigned long cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_sched_op, cmd, (unsigned long)arg);
}

static inline long HYPERVISOR_hvm_op(unsigned long cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_hvm_op, cmd, (unsigned long)arg);
}

static inline long HYPERVISOR_console_write(const void *buf, unsigned long len)
{
    return hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, len, (unsigned long)buf);
}

/* The image is identity-mapped: a pointer is its guest-physical address. */
static inline unsigned long gfn_of(const void *p)
{
    return (unsigned long)(uintptr_t)p >> 12;
}

/* One extent of 2^order frames at gfn: populate or decrease; returns the
 * hypercall's result (extents done, or -errno). */
long guest_reservation(unsigned int op, xen_pfn_t gfn, unsigned int order);
/* XENMEM_add_to_physmap for DOMID_SELF. */
long guest_add_to_physmap(unsigned int space, unsigned long idx, xen_pfn_t gfn);
long guest_remove_from_physmap(xen_pfn_t gfn);

/* Bytes of RAM in the start info's memory map. */
uint64_t guest_ram_bytes(const struct hvm_start_info *si);

/* The page-directory-pointer table of the boot page tables (head.S): entry
 * n maps [n GiB, n+1 GiB); entry 0 is the identity map. */
uint64_t *guest_pdpt(void);
/* After changing the page tables: all non-global translations go. */
void guest_flush_tlb(void);

/* Hypervisor system time (ns since its boot): HVMOP_get_time. */
uint64_t guest_system_time_ns(void);
/* Blocks for ms milliseconds (SCHEDOP_poll on no port with a timeout). */
void guest_sleep_ms(uint64_t ms);
/* Microseconds from the TSC, which every vCPU of every domain shares. */
uint64_t guest_now_us(void);

#endif
