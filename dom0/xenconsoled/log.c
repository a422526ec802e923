#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static bool log_syslog;
static bool log_verbose;

void log_use_syslog(bool on)
{
    if (on && !log_syslog)
        openlog("xenconsoled", LOG_PID, LOG_DAEMON);
    log_syslog = on;
}

void log_set_verbose(bool on)
{
    log_verbose = on;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    static const char *const name[] = { "error", "warning", "info", "debug" };
    char buf[1024];
    va_list ap;

    if (lvl == LOG_LVL_DEBUG && !log_verbose)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (log_syslog)
        syslog(prio[lvl], "%s", buf);
    else
        fprintf(stderr, "xenconsoled: %s: %s\n", name[lvl], buf);
}
