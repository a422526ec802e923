/*
 * A QMP client for a domain's QEMU, on the socket libxl uses
 * (/var/run/xen/qmp-libxl-DOMID): the greeting, qmp_capabilities, then
 * one command at a time. Asynchronous events QEMU sends meanwhile are
 * skipped.
 */
#ifndef XL_QMP_H
#define XL_QMP_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* How long one command may take (an internal snapshot of a large qcow2
 * image writes its refcounts and L1 table). */
#define QMP_TIMEOUT_MS 120000

struct qmp {
    int fd;
    char *buf;
    size_t have, cap;
};

/* Connects and negotiates. Returns 0, or -1 with err set. */
int qmp_open(struct qmp *q, uint32_t domid, char *err, size_t errlen);
void qmp_close(struct qmp *q);

/*
 * Runs one command: cmd is the JSON text of the request without "id"
 * (e.g. {"execute":"query-block"}). Returns the whole reply object, whose
 * "return" member the caller reads (json_free it), or NULL with err set:
 * QEMU's error class and description, or what went wrong on the socket.
 */
struct json *qmp_call(struct qmp *q, const char *cmd, char *err, size_t errlen);

#endif
