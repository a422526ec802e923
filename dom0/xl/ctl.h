/*
 * The hypervisor, as xl reaches it: Basalt's control hypercall
 * (docs/abi/control.md) and the few Xen hypercalls the domain builder
 * makes on a new domain's behalf, all through libxencall (privcmd), whose
 * buffers are memory the kernel can hand to the hypervisor.
 *
 * Every function returns 0 (or a count) on success and -errno on failure.
 */
#ifndef XL_CTL_H
#define XL_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <xen/arch-x86/hvm/start_info.h>

#include "lib/basalt_ctl.h"

/* Opens /dev/xen/privcmd once for the process; later calls do nothing. */
int ctl_open(void);
void ctl_close(void);
/* The libxencall handle, for xen_ops.c. */
struct xencall_handle *ctl_xencall(void);

/* A failed call's errno as a sentence, with what it means for basalt_ctl
 * (e.g. ENOSYS: the hypervisor has no control hypercall). */
const char *ctl_strerror(int rc);

/* One basalt_ctl call; op->version is filled in. */
int ctl_call(struct basalt_ctl *op);

int ctl_host_info(struct basalt_host_info *h);
/* ctl_host_info, and on failure the error on stderr (for commands). */
int ctl_host_info_reported(struct basalt_host_info *h);
/* The first domain with id >= from (-ESRCH past the last). */
int ctl_domain_next(uint32_t from, struct basalt_domain_info *info);
/* Exactly domain domid (-ESRCH if there is none). */
int ctl_domain_info(uint32_t domid, struct basalt_domain_info *info);
int ctl_domain_create(const struct basalt_domain_create *c, uint32_t *domid);
/* BCTL_DOMAIN_DESTROY, _PAUSE, _UNPAUSE. */
int ctl_domain_op(enum basalt_ctl_cmd cmd, uint32_t domid);
int ctl_domain_shutdown(uint32_t domid, uint32_t reason);
int ctl_set_memmap(uint32_t domid, const struct hvm_memmap_table_entry *map, unsigned n);
int ctl_vcpu_set_entry(uint32_t domid, uint32_t entry, uint32_t start_info);
int ctl_vcpu_info(uint32_t domid, uint32_t vcpu, struct basalt_vcpu_info *v);
int ctl_vcpu_set_affinity(uint32_t domid, uint32_t vcpu, uint64_t mask);
int ctl_grant_seed(uint32_t domid, uint32_t ref, uint32_t backend, uint64_t gfn);
/* Reads up to len bytes of the log from *pos; returns the count (0 at
 * the end) and advances *pos. */
int ctl_read_log(uint64_t *pos, char *buf, uint32_t len);

#endif
