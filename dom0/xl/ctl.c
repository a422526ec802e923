/* basalt_ctl over libxencall (see ctl.h). */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xencall.h>

#include "util.h"

static xencall_handle *ctl_xc;

int ctl_open(void)
{
    if (ctl_xc)
        return 0;
    ctl_xc = xencall_open(xl_logger(), 0);
    return ctl_xc ? 0 : -errno;
}

void ctl_close(void)
{
    if (ctl_xc)
        xencall_close(ctl_xc);
    ctl_xc = NULL;
}

struct xencall_handle *ctl_xencall(void)
{
    return ctl_xc;
}

const char *ctl_strerror(int rc)
{
    static char buf[160];
    switch (-rc) {
    case ENOSYS:
        return "the hypervisor does not implement this call (not Basalt, or too old)";
    case EACCES:
        return "control ABI version mismatch between xl and the hypervisor";
    case EPERM:
        return "not permitted (only Dom0 may do this)";
    case ENOENT:
        if (!ctl_xc)
            return "cannot open /dev/xen/privcmd (not Dom0, or xen-privcmd not loaded)";
        break;
    }
    snprintf(buf, sizeof(buf), "%s", strerror(-rc));
    return buf;
}

int ctl_call(struct basalt_ctl *op)
{
    int rc = ctl_open();
    if (rc)
        return rc;
    /* The hypervisor reads and writes the structure through Dom0's
     * physical memory: it must be in a hypercall buffer. */
    struct basalt_ctl *buf = xencall_alloc_buffer(ctl_xc, sizeof(*buf));
    if (!buf)
        return -ENOMEM;
    op->version = BASALT_CTL_VERSION;
    memcpy(buf, op, sizeof(*op));
    rc = xencall1(ctl_xc, __HYPERVISOR_basalt_ctl, (uint64_t)(uintptr_t)buf);
    rc = rc < 0 ? -errno : 0;
    memcpy(op, buf, sizeof(*op));
    xencall_free_buffer(ctl_xc, buf);
    return rc;
}

static void ctl_init(struct basalt_ctl *op, enum basalt_ctl_cmd cmd, uint32_t domid)
{
    memset(op, 0, sizeof(*op));
    op->cmd = cmd;
    op->domid = domid;
}

int ctl_host_info(struct basalt_host_info *h)
{
    struct basalt_ctl op;
    ctl_init(&op, BCTL_HOST_INFO, 0);
    int rc = ctl_call(&op);
    if (!rc)
        *h = op.u.host;
    return rc;
}

int ctl_host_info_reported(struct basalt_host_info *h)
{
    int rc = ctl_host_info(h);
    if (rc)
        xl_err("cannot query the hypervisor: %s", ctl_strerror(rc));
    return rc;
}

int ctl_domain_next(uint32_t from, struct basalt_domain_info *info)
{
    struct basalt_ctl op;
    ctl_init(&op, BCTL_DOMAIN_INFO, from);
    int rc = ctl_call(&op);
    if (!rc) {
        *info = op.u.info;
        info->name[sizeof(info->name) - 1] = 0;
    }
    return rc;
}

int ctl_domain_info(uint32_t domid, struct basalt_domain_info *info)
{
    int rc = ctl_domain_next(domid, info);
    if (!rc && info->domid != domid)
        rc = -ESRCH;
    return rc;
}

int ctl_domain_create(const struct basalt_domain_create *c, uint32_t *domid)
{
    struct basalt_ctl op;
    ctl_init(&op, BCTL_DOMAIN_CREATE, 0);
    op.u.create = *c;
    int rc = ctl_call(&op);
    if (!rc)
        *domid = op.domid;
    return rc;
}

int ctl_domain_op(enum basalt_ctl_cmd cmd, uint32_t domid)
{
    struct basalt_ctl op;
    ctl_init(&op, cmd, domid);
    return ctl_call(&op);
}

int ctl_domain_shutdown(uint32_t domid, uint32_t reason)
{
    struct basalt_ctl op;
    ctl_init(&op, BCTL_DOMAIN_SHUTDOWN, domid);
    op.u.shutdown_reason = reason;
    return ctl_call(&op);
}

int ctl_set_memmap(uint32_t domid, const struct hvm_memmap_table_entry *map, unsigned n)
{
    int rc = ctl_open();
    if (rc)
        return rc;
    size_t size = n * sizeof(*map);
    struct hvm_memmap_table_entry *buf = xencall_alloc_buffer(ctl_xc, size ? size : 1);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, map, size);
    struct basalt_ctl op;
    ctl_init(&op, BCTL_DOMAIN_SET_MEMMAP, domid);
    op.u.memmap.nr_entries = n;
    op.u.memmap.entries = (uint64_t)(uintptr_t)buf;
    rc = ctl_call(&op);
    xencall_free_buffer(ctl_xc, buf);
    return rc;
}

int ctl_vcpu_set_entry(uint32_t domid, uint32_t entry, uint32_t start_info)
{
    struct basalt_ctl op;
    ctl_init(&op, BCTL_VCPU_SET_ENTRY, domid);
    op.u.entry.entry = entry;
    op.u.entry.start_info = start_info;
    return ctl_call(&op);
}

int ctl_vcpu_info(uint32_t domid, uint32_t vcpu, struct basalt_vcpu_info *v)
{
    struct basalt_ctl op;
    ctl_init(&op, BCTL_VCPU_INFO, domid);
    op.u.vcpu.vcpu = vcpu;
    int rc = ctl_call(&op);
    if (!rc)
        *v = op.u.vcpu;
    return rc;
}

int ctl_vcpu_set_affinity(uint32_t domid, uint32_t vcpu, uint64_t mask)
{
    struct basalt_ctl op;
    ctl_init(&op, BCTL_VCPU_SET_AFFINITY, domid);
    op.u.vcpu.vcpu = vcpu;
    op.u.vcpu.affinity = mask;
    return ctl_call(&op);
}

int ctl_grant_seed(uint32_t domid, uint32_t ref, uint32_t backend, uint64_t gfn)
{
    struct basalt_ctl op;
    ctl_init(&op, BCTL_GRANT_SEED, domid);
    op.u.grant.ref = ref;
    op.u.grant.backend = backend;
    op.u.grant.gfn = gfn;
    return ctl_call(&op);
}

int ctl_read_log(uint64_t *pos, char *out, uint32_t len)
{
    int rc = ctl_open();
    if (rc)
        return rc;
    char *buf = xencall_alloc_buffer(ctl_xc, len ? len : 1);
    if (!buf)
        return -ENOMEM;
    struct basalt_ctl op;
    ctl_init(&op, BCTL_READ_LOG, 0);
    op.u.log.pos = *pos;
    op.u.log.buffer = (uint64_t)(uintptr_t)buf;
    op.u.log.size = len;
    rc = ctl_call(&op);
    if (!rc) {
        uint32_t n = op.u.log.size <= len ? op.u.log.size : len;
        memcpy(out, buf, n);
        *pos = op.u.log.pos;
        rc = (int)n;
    }
    xencall_free_buffer(ctl_xc, buf);
    return rc;
}
