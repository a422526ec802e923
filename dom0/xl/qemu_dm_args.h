/*
 * The command line of a domain's QEMU, as libxl 4.17 builds it for a PV or
 * PVH guest whose disks Dom0 serves (libxl_dm.c,
 * libxl__build_device_model_args_new): Debian's qemu-system-xen attached to
 * an existing domain (-xen-attach) as a xenpv machine, which runs only
 * backends (qdisk for every vbd), with its QMP monitors on unix sockets in
 * /var/run/xen. Pure, so the arguments can be checked on the host.
 */
#ifndef XL_QEMU_DM_ARGS_H
#define XL_QEMU_DM_ARGS_H

#include <stddef.h>
#include <stdint.h>

#define QEMU_DM_BINARY "/usr/libexec/xen-qemu-system-i386"
#define QEMU_DM_RUN_DIR "/var/run/xen"
#define QEMU_DM_LOG_DIR "/var/log/xen"
/* The environment libxl gives QEMU (XSA-180: a bound on console logs). */
#define QEMU_DM_ENV_NAME "XEN_QEMU_CONSOLE_LIMIT"
#define QEMU_DM_ENV_VALUE "1048576"

#define QEMU_DM_MAX_ARGS 64
#define QEMU_DM_ARG_BUF 8192

struct qemu_dm_args {
    char *argv[QEMU_DM_MAX_ARGS + 1];   /* NULL-terminated; point into buf */
    unsigned argc;
    char buf[QEMU_DM_ARG_BUF];
    size_t used;
};

/* /var/run/xen/qmp-libxl-DOMID: the socket xl talks QMP on. */
void qemu_dm_qmp_path(uint32_t domid, char *out, size_t len);
/* /var/log/xen/qemu-dm-NAME.log, where QEMU's output goes. */
void qemu_dm_log_path(const char *name, char *out, size_t len);

/* Fills a with QEMU's arguments for domain domid named name with maxmem_mib
 * of memory (-m; the xenpv machine allocates none of it). Returns 0, or -1
 * if they do not fit (a name of absurd length). */
int qemu_dm_args_build(struct qemu_dm_args *a, uint32_t domid, const char *name,
                       uint64_t maxmem_mib);

/* The same for an HVM guest (libxl's for type = "hvm" with qemu-xen): the
 * xenfv machine, which models the guest's PC (i440FX, PIIX3 IDE, cirrus
 * VGA with 8 MiB, the Xen platform device) and serves its ioreqs; VNC and
 * the serial port as r->hvm_opts says, r's disks as IDE drives, -m the
 * guest's RAM (its VRAM is QEMU's to populate on top). */
struct build_request;
int qemu_dm_args_build_hvm(struct qemu_dm_args *a, uint32_t domid, const struct build_request *r);

#endif
