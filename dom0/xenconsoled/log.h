/* Diagnostics of the daemon itself (not the guests' console logs, see
 * guestlog.h): stderr in interactive mode, syslog once daemonized. */
#ifndef XENCONSOLED_LOG_H
#define XENCONSOLED_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_use_syslog(bool on);
void log_set_verbose(bool on);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
