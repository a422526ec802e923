/* The optional per-domain log file (`--log=guest`): every byte a guest
 * printed on its console, appended to <log-dir>/guest-<name>.log, as Xen's
 * xenconsoled names it. With `--timestamp=guest` each line starts with
 * "[YYYY-MM-DD HH:MM:SS] " (local time, Xen's format). */
#ifndef XENCONSOLED_GUESTLOG_H
#define XENCONSOLED_GUESTLOG_H

#include <stdbool.h>
#include <stddef.h>

struct guestlog {
    int fd;             /* -1: not logging */
    bool line_start;    /* the next byte starts a line (timestamps) */
    bool failed;        /* a write failed; reported once per file */
    char *path;
};

#define GUESTLOG_INIT { .fd = -1, .line_start = true }

/* "guest-<name>.log" with the name made safe to use as a file name: only
 * [A-Za-z0-9._+@:=-] are kept, other bytes become '_', a leading '.'
 * becomes '_' (no "..", no hidden files), at most 200 characters. Without
 * a usable name: "guest-domain-<domid>.log". */
void guestlog_file_name(char *out, size_t len, const char *name, unsigned domid);

/* Opens (creating `dir` and its parents if needed) in append mode.
 * Returns 0 or -errno; a failure leaves the log closed. */
int guestlog_open(struct guestlog *gl, const char *dir, const char *name, unsigned domid);
void guestlog_write(struct guestlog *gl, const char *buf, size_t n, bool timestamps);
/* Closes and opens the same path again: after logrotate moved it (SIGHUP). */
int guestlog_reopen(struct guestlog *gl);
void guestlog_close(struct guestlog *gl);

#endif
