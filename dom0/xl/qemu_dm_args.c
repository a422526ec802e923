/* A domain's QEMU command line (see qemu_dm_args.h). */
#include "qemu_dm_args.h"

#include <stdarg.h>
#include <stdio.h>

#include "build_request.h"

void qemu_dm_qmp_path(uint32_t domid, char *out, size_t len)
{
    snprintf(out, len, QEMU_DM_RUN_DIR "/qmp-libxl-%u", domid);
}

void qemu_dm_log_path(const char *name, char *out, size_t len)
{
    snprintf(out, len, QEMU_DM_LOG_DIR "/qemu-dm-%s.log", name);
}

static int add(struct qemu_dm_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add(struct qemu_dm_args *a, const char *fmt, ...)
{
    if (a->argc >= QEMU_DM_MAX_ARGS)
        return -1;
    size_t room = sizeof(a->buf) - a->used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(a->buf + a->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return -1;
    a->argv[a->argc++] = a->buf + a->used;
    a->argv[a->argc] = NULL;
    a->used += (size_t)n + 1;
    return 0;
}

/* What libxl puts first for every guest type. -no-shutdown: a guest
 * cannot end QEMU (a poweroff is the hypervisor's, reported by QEMU with
 * remote_shutdown); no -S, so QEMU writes "running" to
 * /local/domain/0/device-model/DOMID/state once it serves. */
static int add_common(struct qemu_dm_args *a, uint32_t domid)
{
    char qmp[128];
    a->argc = 0;
    a->used = 0;
    a->argv[0] = NULL;
    qemu_dm_qmp_path(domid, qmp, sizeof(qmp));
    return add(a, "%s", QEMU_DM_BINARY) || add(a, "-xen-domid") || add(a, "%u", domid) ||
             add(a, "-no-shutdown") || add(a, "-chardev") ||
             add(a, "socket,id=libxl-cmd,path=%s,server=on,wait=off", qmp) || add(a, "-mon") ||
             add(a, "chardev=libxl-cmd,mode=control") || add(a, "-chardev") ||
             add(a, "socket,id=libxenstat-cmd,path=" QEMU_DM_RUN_DIR
                    "/qmp-libxenstat-%u,server=on,wait=off",
                 domid) ||
             add(a, "-mon") || add(a, "chardev=libxenstat-cmd,mode=control") ||
             add(a, "-nodefaults") || add(a, "-no-user-config");
}

int qemu_dm_args_build(struct qemu_dm_args *a, uint32_t domid, const char *name,
                       uint64_t maxmem_mib)
{
    /* -xen-attach: the domain exists already, built by xl. */
    int rc = add_common(a, domid) || add(a, "-xen-attach") ||
             add(a, "-name") || add(a, "%s", name) || add(a, "-vnc") || add(a, "none") ||
             add(a, "-display") || add(a, "none") || add(a, "-nographic") || add(a, "-machine") ||
             add(a, "xenpv") || add(a, "-m") || add(a, "%llu", (unsigned long long)maxmem_mib);
    return rc ? -1 : 0;
}

/* QEMU's name for a disk format. */
static const char *qemu_format(enum disk_format f)
{
    switch (f) {
    case DISK_FORMAT_QCOW: return "qcow";
    case DISK_FORMAT_QCOW2: return "qcow2";
    case DISK_FORMAT_VHD: return "vpc";
    case DISK_FORMAT_QED: return "qed";
    default: return "raw";
    }
}

int qemu_dm_args_build_hvm(struct qemu_dm_args *a, uint32_t domid, const struct build_request *r)
{
    const struct build_hvm *h = &r->hvm_opts;
    int rc = add_common(a, domid) || add(a, "-name") || add(a, "%s", r->name) || add(a, "-vnc") ||
             add(a, "%s", *h->vnc ? h->vnc : "none") || add(a, "-display") || add(a, "none");
    if (!rc && h->serial)
        rc = add(a, "-serial") || add(a, "%s", h->serial);
    rc = rc || add(a, "-device") || add(a, "cirrus-vga,vgamem_mb=%d", BUILD_HVM_VIDEORAM_MIB) ||
         add(a, "-boot") || add(a, "order=%s", h->boot);
    if (!rc && r->max_vcpus > 1)
        rc = add(a, "-smp") || add(a, "%u,maxcpus=%u", r->vcpus, r->max_vcpus);
    /* Without the platform device (xen_platform_pci=0) the guest has no
     * PV drivers' way in (nor the unplug of its emulated disks and NICs):
     * libxl's plain PC machine under Xen then. */
    rc = rc || add(a, "-net") || add(a, "none") || add(a, "-machine") ||
         add(a, "%s,suppress-vmdesc=on", h->platform_pci ? "xenfv" : "pc,accel=xen") || add(a, "-m") ||
         add(a, "%llu", (unsigned long long)r->memory_mib);
    for (unsigned i = 0; !rc && i < r->n_disks; i++) {
        const struct vbd *v = &r->disks[i];
        int idx = h->ide_index[i];
        if (v->is_cdrom && !v->target)
            rc = add(a, "-drive") ||
                 add(a, "if=ide,index=%d,readonly=on,media=cdrom,id=ide-%d", idx, idx);
        else if (v->is_cdrom)
            rc = add(a, "-drive") ||
                 add(a, "file=%s,if=ide,index=%d,readonly=on,media=cdrom,format=%s,"
                        "cache=writeback,id=ide-%d",
                     v->target, idx, qemu_format(v->format), idx);
        else
            rc = add(a, "-drive") ||
                 add(a, "file=%s,if=ide,index=%d,media=disk,format=%s,cache=writeback", v->target,
                     idx, qemu_format(v->format));
    }
    return rc ? -1 : 0;
}
