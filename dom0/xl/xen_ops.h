/*
 * Xen hypercalls xl makes on a new domain's behalf (the Xen ABI, not
 * basalt_ctl: docs/abi/control.md), and xen_version queries for `xl info`.
 * 0 (or a count) on success, -errno on failure.
 */
#ifndef XL_XEN_OPS_H
#define XL_XEN_OPS_H

#include <stddef.h>
#include <stdint.h>

/* XENMEM_populate_physmap for [gfn, gfn + nr) of domid, in batches, in
 * 2 MiB extents where aligned. *done gets the pages populated. */
int xen_populate(uint32_t domid, uint64_t gfn, uint64_t nr, uint64_t *done);

/* EVTCHNOP_alloc_unbound in domid, for remote_dom to bind. */
int xen_evtchn_alloc_unbound(uint32_t domid, uint32_t remote_dom, uint32_t *port);

/* HVMOP_set_param on domid. */
int xen_hvm_set_param(uint32_t domid, uint32_t index, uint64_t value);

/* XENVER_version: major << 16 | minor (>= 0), or -errno. */
int xen_version_number(void);

/* A string-valued XENVER_* (extraversion, capabilities, changeset,
 * commandline), NUL-terminated in out. */
int xen_version_string(int cmd, char *out, size_t len);

/* XENVER_compile_info's fields. */
struct xen_build_info {
    char compiler[64], compile_by[16], compile_domain[32], compile_date[32];
};
int xen_version_build(struct xen_build_info *bi);

#endif
