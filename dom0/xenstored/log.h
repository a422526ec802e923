/* Diagnostics: log messages (stderr in the foreground, syslog when
 * daemonized) and the optional protocol trace file (-T). */
#ifndef XENSTORED_LOG_H
#define XENSTORED_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_use_syslog(bool on);
void log_set_verbose(bool on);
void log_set_quiet(bool on);
void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct xsd_sockmsg;
int trace_open(const char *path);
void trace_reopen(void);
void trace_close(void);
bool trace_enabled(void);
void trace_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void trace_msg(unsigned conn_id, unsigned domid, const char *dir,
               const struct xsd_sockmsg *hdr, const char *payload);

#endif
