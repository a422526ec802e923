/*
 * The control hypercall's commands for a running domain's knobs
 * (docs/abi/control.md): its scheduling parameters and its memory limit.
 * Each returns 0 or -errno, as ctl.h's.
 */
#ifndef XL_CTL_RUNTIME_H
#define XL_CTL_RUNTIME_H

#include <stdint.h>

/* BCTL_SCHED: reads weight and cap, or with set sets both and reads back. */
int ctl_sched(uint32_t domid, int set, uint32_t *weight, uint32_t *cap);
/* BCTL_SET_MAX_MEM: what the domain may hold, in KiB (-EINVAL below what it
 * holds now). */
int ctl_set_max_mem(uint32_t domid, uint64_t kib);

#endif
