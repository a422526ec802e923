/* Xen hypercalls through libxencall (see xen_ops.h). */
#include "xen_ops.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xencall.h>
#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/memory.h>
#include <xen/version.h>
#include <xen/xen.h>

#include "ctl.h"
#include "layout.h"

/* Extents per populate_physmap call: the list must sit in a hypercall
 * buffer; 512 of them is one page. */
#define POPULATE_BATCH 512

static xencall_handle *open_xencall(int *rc)
{
    *rc = ctl_open();
    return *rc ? NULL : ctl_xencall();
}

int xen_populate(uint32_t domid, uint64_t gfn, uint64_t nr, uint64_t *done)
{
    int rc;
    xencall_handle *xc = open_xencall(&rc);
    *done = 0;
    if (!xc)
        return rc;
    struct xen_memory_reservation *res = xencall_alloc_buffer(xc, sizeof(*res));
    xen_pfn_t *list = xencall_alloc_buffer(xc, POPULATE_BATCH * sizeof(*list));
    if (!res || !list) {
        rc = -ENOMEM;
        goto out;
    }
    struct extent_run runs[3];
    unsigned n_runs = layout_extent_runs(gfn, nr, runs);
    for (unsigned r = 0; r < n_runs; r++) {
        uint64_t next = runs[r].gfn;
        uint64_t left = runs[r].count;
        while (left) {
            unsigned batch = left < POPULATE_BATCH ? (unsigned)left : POPULATE_BATCH;
            for (unsigned i = 0; i < batch; i++)
                list[i] = next + ((uint64_t)i << runs[r].order);
            memset(res, 0, sizeof(*res));
            set_xen_guest_handle(res->extent_start, list);
            res->nr_extents = batch;
            res->extent_order = runs[r].order;
            res->mem_flags = 0;
            res->domid = (domid_t)domid;
            int got = xencall2(xc, __HYPERVISOR_memory_op, XENMEM_populate_physmap,
                               (uint64_t)(uintptr_t)res);
            if (got < 0) {
                rc = -errno;
                goto out;
            }
            *done += (uint64_t)got << runs[r].order;
            if ((unsigned)got != batch) {
                /* The hypervisor stops at the first extent it cannot
                 * fill: the pool is empty or the domain's limit reached. */
                rc = -ENOMEM;
                goto out;
            }
            next += (uint64_t)batch << runs[r].order;
            left -= batch;
        }
    }
    rc = 0;
out:
    if (res)
        xencall_free_buffer(xc, res);
    if (list)
        xencall_free_buffer(xc, list);
    return rc;
}

int xen_evtchn_alloc_unbound(uint32_t domid, uint32_t remote_dom, uint32_t *port)
{
    int rc;
    xencall_handle *xc = open_xencall(&rc);
    if (!xc)
        return rc;
    struct evtchn_alloc_unbound *a = xencall_alloc_buffer(xc, sizeof(*a));
    if (!a)
        return -ENOMEM;
    memset(a, 0, sizeof(*a));
    a->dom = (domid_t)domid;
    a->remote_dom = (domid_t)remote_dom;
    rc = xencall2(xc, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
                  (uint64_t)(uintptr_t)a);
    rc = rc < 0 ? -errno : 0;
    if (!rc)
        *port = a->port;
    xencall_free_buffer(xc, a);
    return rc;
}

int xen_hvm_set_param(uint32_t domid, uint32_t index, uint64_t value)
{
    int rc;
    xencall_handle *xc = open_xencall(&rc);
    if (!xc)
        return rc;
    struct xen_hvm_param *p = xencall_alloc_buffer(xc, sizeof(*p));
    if (!p)
        return -ENOMEM;
    memset(p, 0, sizeof(*p));
    p->domid = (domid_t)domid;
    p->index = index;
    p->value = value;
    rc = xencall2(xc, __HYPERVISOR_hvm_op, HVMOP_set_param, (uint64_t)(uintptr_t)p);
    rc = rc < 0 ? -errno : 0;
    xencall_free_buffer(xc, p);
    return rc;
}

int xen_version_number(void)
{
    int rc;
    xencall_handle *xc = open_xencall(&rc);
    if (!xc)
        return rc;
    rc = xencall2(xc, __HYPERVISOR_xen_version, XENVER_version, 0);
    return rc < 0 ? -errno : rc;
}

/* Large enough for every string XENVER_* answers with (commandline: 1024). */
#define VERSION_BUF 1024

int xen_version_string(int cmd, char *out, size_t len)
{
    int rc;
    xencall_handle *xc = open_xencall(&rc);
    if (!len)
        return -EINVAL;
    out[0] = 0;
    if (!xc)
        return rc;
    char *buf = xencall_alloc_buffer(xc, VERSION_BUF);
    if (!buf)
        return -ENOMEM;
    memset(buf, 0, VERSION_BUF);
    rc = xencall2(xc, __HYPERVISOR_xen_version, (unsigned)cmd, (uint64_t)(uintptr_t)buf);
    rc = rc < 0 ? -errno : 0;
    if (!rc)
        snprintf(out, len, "%.*s", VERSION_BUF - 1, buf);
    xencall_free_buffer(xc, buf);
    return rc;
}

int xen_version_build(struct xen_build_info *bi)
{
    int rc;
    xencall_handle *xc = open_xencall(&rc);
    memset(bi, 0, sizeof(*bi));
    if (!xc)
        return rc;
    xen_compile_info_t *ci = xencall_alloc_buffer(xc, sizeof(*ci));
    if (!ci)
        return -ENOMEM;
    memset(ci, 0, sizeof(*ci));
    rc = xencall2(xc, __HYPERVISOR_xen_version, XENVER_compile_info, (uint64_t)(uintptr_t)ci);
    rc = rc < 0 ? -errno : 0;
    if (!rc) {
        snprintf(bi->compiler, sizeof(bi->compiler), "%.*s", (int)sizeof(ci->compiler),
                 ci->compiler);
        snprintf(bi->compile_by, sizeof(bi->compile_by), "%.*s", (int)sizeof(ci->compile_by),
                 ci->compile_by);
        snprintf(bi->compile_domain, sizeof(bi->compile_domain), "%.*s",
                 (int)sizeof(ci->compile_domain), ci->compile_domain);
        snprintf(bi->compile_date, sizeof(bi->compile_date), "%.*s",
                 (int)sizeof(ci->compile_date), ci->compile_date);
    }
    xencall_free_buffer(xc, ci);
    return rc;
}
