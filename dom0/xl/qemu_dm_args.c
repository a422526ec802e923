/* A domain's QEMU command line (see qemu_dm_args.h). */
#include "qemu_dm_args.h"

#include <stdarg.h>
#include <stdio.h>

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

int qemu_dm_args_build(struct qemu_dm_args *a, uint32_t domid, const char *name,
                       uint64_t maxmem_mib)
{
    char qmp[128];
    a->argc = 0;
    a->used = 0;
    a->argv[0] = NULL;
    qemu_dm_qmp_path(domid, qmp, sizeof(qmp));
    /* libxl's order. -no-shutdown: a guest cannot end QEMU (xenpv has no
     * such device anyway); -xen-attach: the domain exists already, built
     * by xl; no -S, so QEMU writes "running" to
     * /local/domain/0/device-model/DOMID/state once it serves. */
    int rc = add(a, "%s", QEMU_DM_BINARY) || add(a, "-xen-domid") || add(a, "%u", domid) ||
             add(a, "-no-shutdown") || add(a, "-chardev") ||
             add(a, "socket,id=libxl-cmd,path=%s,server=on,wait=off", qmp) || add(a, "-mon") ||
             add(a, "chardev=libxl-cmd,mode=control") || add(a, "-chardev") ||
             add(a, "socket,id=libxenstat-cmd,path=" QEMU_DM_RUN_DIR
                    "/qmp-libxenstat-%u,server=on,wait=off",
                 domid) ||
             add(a, "-mon") || add(a, "chardev=libxenstat-cmd,mode=control") ||
             add(a, "-nodefaults") || add(a, "-no-user-config") || add(a, "-xen-attach") ||
             add(a, "-name") || add(a, "%s", name) || add(a, "-vnc") || add(a, "none") ||
             add(a, "-display") || add(a, "none") || add(a, "-nographic") || add(a, "-machine") ||
             add(a, "xenpv") || add(a, "-m") || add(a, "%llu", (unsigned long long)maxmem_mib);
    return rc ? -1 : 0;
}
