#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "xs_abi.h"

#include "mem.h"
#include "wire.h"

static bool log_syslog;
static bool log_verbose;
static bool log_quiet;
static FILE *trace_file;
static char *trace_path;

void log_use_syslog(bool on)
{
    if (on && !log_syslog)
        openlog("xenstored", LOG_PID, LOG_DAEMON);
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
    else
        fprintf(stderr, "xenstored: %s: %s\n", name[lvl], buf);
    if (trace_file)
        trace_line("LOG %s: %s", name[lvl], buf);
}

int trace_open(const char *path)
{
    FILE *f = fopen(path, "a");

    if (!f)
        return -errno;
    setvbuf(f, NULL, _IOLBF, 0);
    trace_close();
    trace_file = f;
    trace_path = xs_strdup(path);
    return 0;
}

/* Lets logrotate move the file away: SIGHUP reopens it by name. */
void trace_reopen(void)
{
    char *path;

    if (!trace_path)
        return;
    path = xs_strdup(trace_path);
    if (trace_open(path) < 0)
        log_msg(LOG_LVL_WARN, "cannot reopen trace file %s", path);
    xs_free(path);
}

void trace_close(void)
{
    if (trace_file)
        fclose(trace_file);
    trace_file = NULL;
    xs_free(trace_path);
    trace_path = NULL;
}

bool trace_enabled(void)
{
    return trace_file != NULL;
}

static void trace_stamp(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(trace_file, "%lld.%06ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

void trace_line(const char *fmt, ...)
{
    va_list ap;

    if (!trace_file)
        return;
    trace_stamp();
    va_start(ap, fmt);
    vfprintf(trace_file, fmt, ap);
    va_end(ap);
    fputc('\n', trace_file);
}

/* Payloads are printed with NULs as '|' (the notation of xenstore.txt) and
 * other unprintable bytes escaped, truncated so a trace stays readable. */
void trace_msg(unsigned conn_id, unsigned domid, const char *dir,
               const struct xsd_sockmsg *hdr, const char *payload)
{
    unsigned i, n;

    if (!trace_file)
        return;
    trace_stamp();
    fprintf(trace_file, "%s conn %u dom %u %s req %u tx %u len %u \"", dir,
            conn_id, domid, wire_type_name(hdr->type), hdr->req_id, hdr->tx_id,
            hdr->len);
    n = hdr->len < 256 ? hdr->len : 256;
    for (i = 0; payload && i < n; i++) {
        unsigned char c = (unsigned char)payload[i];

        if (c == 0)
            fputc('|', trace_file);
        else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            fprintf(trace_file, "\\x%02x", c);
        else
            fputc(c, trace_file);
    }
    fprintf(trace_file, "\"%s\n", n < hdr->len ? "..." : "");
}
