/* Messages and time for xl's commands (see util.h). */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <xentoollog.h>

int xl_verbose;

void xl_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("xl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void xl_info(const char *fmt, ...)
{
    va_list ap;
    if (!xl_verbose)
        return;
    va_start(ap, fmt);
    fputs("xl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

struct xentoollog_logger *xl_logger(void)
{
    static xentoollog_logger_stdiostream *logger;
    if (!logger)
        logger = xtl_createlogger_stdiostream(stderr, xl_verbose ? XTL_WARN : XTL_NUM_LEVELS, 0);
    return (struct xentoollog_logger *)logger;
}

uint64_t xl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void xl_sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts))
        ;
}
