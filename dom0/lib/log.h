/* A daemon's own diagnostics, at four levels: stderr while it runs in the
 * foreground, syslog once it is daemonized. */
#ifndef DOM0_LIB_LOG_H
#define DOM0_LIB_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* The name that stderr lines start with ("xenstored: error: ...") and that
 * syslog shows; must stay valid (a string literal). Unset: stderr lines
 * carry no name, syslog uses the program's. */
void log_set_ident(const char *ident);
void log_use_syslog(bool on);
/* Debug messages are dropped unless verbose; only errors pass when quiet. */
void log_set_verbose(bool on);
void log_set_quiet(bool on);
/* Every message that passes the filters is also handed to `fn` (NULL: to
 * nobody), with its level's name ("error", "warning", "info", "debug"). */
void log_set_tee(void (*fn)(const char *level, const char *msg));
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
