#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static const char *log_ident;
static bool log_syslog;
static bool log_verbose;
static bool log_quiet;
static void (*log_tee)(const char *level, const char *msg);

void log_set_ident(const char *ident)
{
    log_ident = ident;
}

void log_use_syslog(bool on)
{
    if (on && !log_syslog)
        openlog(log_ident, LOG_PID, LOG_DAEMON);
    log_syslog = on;
}

void log_set_verbose(bool on)
{
    log_verbose = on;
}

void log_set_quiet(bool on)
{
    log_quiet = on;
}

void log_set_tee(void (*fn)(const char *level, const char *msg))
{
    log_tee = fn;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    static const char *const name[] = { "error", "warning", "info", "debug" };
    char buf[1024];
    va_list ap;

    if (lvl == LOG_LVL_DEBUG && !log_verbose)
        return;
    if (log_quiet && lvl != LOG_LVL_ERR)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (log_syslog)
        syslog(prio[lvl], "%s", buf);
    else if (log_ident)
        fprintf(stderr, "%s: %s: %s\n", log_ident, name[lvl], buf);
    else
        fprintf(stderr, "%s: %s\n", name[lvl], buf);
    if (log_tee)
        log_tee(name[lvl], buf);
}
