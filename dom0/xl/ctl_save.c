/* basalt_ctl's save and restore commands (see ctl_save.h). */
#include "ctl_save.h"

#include <errno.h>
#include <string.h>
#include <xencall.h>
#include <xen/hvm/hvm_op.h>
#include <xen/xen.h>

#include "ctl.h"

void *ctl_save_buffer(size_t size)
{
    return ctl_open() ? NULL : xencall_alloc_buffer(ctl_xencall(), size);
}

void ctl_save_buffer_free(void *p, size_t size)
{
    (void)size;
    if (p)
        xencall_free_buffer(ctl_xencall(), p);
}

int ctl_domain_read(uint32_t domid, uint64_t gpa, void *buf, uint32_t size,
                    uint64_t present[BASALT_WRITE_MAX / 4096 / 64])
{
    struct basalt_ctl op;
    memset(&op, 0, sizeof(op));
    op.cmd = BCTL_DOMAIN_READ;
    op.domid = domid;
    op.u.read.gpa = gpa;
    op.u.read.buffer = (uint64_t)(uintptr_t)buf;
    op.u.read.size = size;
    int rc = ctl_call(&op);
    if (!rc)
        memcpy(present, op.u.read.present, sizeof(op.u.read.present));
    return rc;
}

int ctl_vcpu_state(uint32_t domid, uint32_t vcpu, struct basalt_vcpu_state *s, int set)
{
    struct basalt_ctl op;
    memset(&op, 0, sizeof(op));
    op.cmd = set ? BCTL_VCPU_SET_STATE : BCTL_VCPU_GET_STATE;
    op.domid = domid;
    op.u.state.vcpu = vcpu;
    op.u.state.size = sizeof(*s);
    op.u.state.buffer = (uint64_t)(uintptr_t)s;
    return ctl_call(&op);
}

int ctl_get_memmap(uint32_t domid, struct hvm_memmap_table_entry *map, unsigned *n)
{
    size_t size = *n * sizeof(*map);
    struct hvm_memmap_table_entry *buf = ctl_save_buffer(size ? size : 1);
    if (!buf)
        return -ENOMEM;
    struct basalt_ctl op;
    memset(&op, 0, sizeof(op));
    op.cmd = BCTL_DOMAIN_GET_MEMMAP;
    op.domid = domid;
    op.u.memmap.nr_entries = *n;
    op.u.memmap.entries = (uint64_t)(uintptr_t)buf;
    int rc = ctl_call(&op);
    if (!rc) {
        *n = op.u.memmap.nr_entries;
        memcpy(map, buf, *n * sizeof(*map));
    }
    ctl_save_buffer_free(buf, size);
    return rc;
}

int xen_hvm_get_param(uint32_t domid, uint32_t index, uint64_t *value)
{
    struct xen_hvm_param *p = ctl_save_buffer(sizeof(*p));
    if (!p)
        return -ENOMEM;
    memset(p, 0, sizeof(*p));
    p->domid = (domid_t)domid;
    p->index = index;
    int rc = xencall2(ctl_xencall(), __HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)(uintptr_t)p);
    rc = rc < 0 ? -errno : 0;
    if (!rc)
        *value = p->value;
    ctl_save_buffer_free(p, sizeof(*p));
    return rc;
}
