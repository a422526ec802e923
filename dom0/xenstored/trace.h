/* The optional protocol trace file (-T): every message in and out, each
 * connection's life, and every log message (dom0/lib/log.h) as well. */
#ifndef XENSTORED_TRACE_H
#define XENSTORED_TRACE_H

#include <stdbool.h>

struct xsd_sockmsg;
int trace_open(const char *path);
void trace_reopen(void);
void trace_close(void);
bool trace_enabled(void);
void trace_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void trace_msg(unsigned conn_id, unsigned domid, const char *dir,
               const struct xsd_sockmsg *hdr, const char *payload);

#endif
