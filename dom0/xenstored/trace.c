#include "trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include "xs_abi.h"

#include "dom0/lib/log.h"

#include "dom0/lib/mem.h"
#include "wire.h"

static FILE *trace_file;
static char *trace_path;

static void trace_log(const char *level, const char *msg)
{
    trace_line("LOG %s: %s", level, msg);
}

int trace_open(const char *path)
{
    FILE *f = fopen(path, "a");

    if (!f)
        return -errno;
    setvbuf(f, NULL, _IOLBF, 0);
    trace_close();
    trace_file = f;
    trace_path = mem_strdup(path);
    log_set_tee(trace_log);
    return 0;
}

/* Lets logrotate move the file away: SIGHUP reopens it by name. */
void trace_reopen(void)
{
    char *path;

    if (!trace_path)
        return;
    path = mem_strdup(trace_path);
    if (trace_open(path) < 0)
        log_msg(LOG_LVL_WARN, "cannot reopen trace file %s", path);
    mem_free(path);
}

void trace_close(void)
{
    log_set_tee(NULL);
    if (trace_file)
        fclose(trace_file);
    trace_file = NULL;
    mem_free(trace_path);
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
