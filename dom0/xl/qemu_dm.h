/*
 * A domain's QEMU (its "device model", as libxl calls it, although for a
 * PVH guest it models no device and only serves the qdisk backends):
 * started as libxl starts it, found again by any later xl command, and
 * stopped so that it closes its images cleanly.
 *
 * QEMU runs in a session of its own, a child of init (double fork), so
 * that neither the terminal nor xl's exit reaches it; its output goes to
 * /var/log/xen/qemu-dm-NAME.log. Its pid is recorded where libxl records
 * it (/local/domain/DOMID/image/device-model-pid), but xl finds it from
 * /proc (the binary, with "-xen-domid DOMID"), so a stale or forged record
 * can never make xl signal another process.
 */
#ifndef XL_QEMU_DM_H
#define XL_QEMU_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct xs_handle;

/* How long QEMU may take to say "running" and open its disks (libxl
 * allows 60 s; twice that here, for a Dom0 under TCG on a loaded host: the
 * wait ends as soon as QEMU is ready), and to exit after SIGTERM before it
 * gets SIGKILL. */
#define QEMU_DM_START_MS 120000
#define QEMU_DM_STOP_MS 10000

/*
 * Starts QEMU for domid and waits until it reports "running" in xenstore.
 * Returns its pid, or -1 with the reason in err (QEMU, if it started, is
 * stopped again; the last lines of its log are in the message).
 */
pid_t qemu_dm_start(struct xs_handle *xs, uint32_t domid, const char *name, uint64_t maxmem_mib,
                    char *err, size_t errlen);

/* The same with a command line built by the caller (an HVM guest's). */
struct qemu_dm_args;
pid_t qemu_dm_start_args(struct xs_handle *xs, uint32_t domid, const char *name,
                         const struct qemu_dm_args *a, char *err, size_t errlen);

/* The pid of domid's QEMU, or 0 if none runs. */
pid_t qemu_dm_find(uint32_t domid);

/*
 * Stops domid's QEMU, if one runs: SIGTERM (QEMU flushes and closes its
 * images), SIGKILL after QEMU_DM_STOP_MS. Removes its QMP sockets.
 * Returns 0, or -1 if it would not die (after a message on stderr).
 */
int qemu_dm_stop(uint32_t domid);

/* The last line of NAME's QEMU log that says something (for messages),
 * or "" if there is none. */
void qemu_dm_log_tail(const char *name, char *out, size_t len);

/* The size of NAME's QEMU log now (0 if there is none), and whether what
 * was written to it since then contains text (QEMU reports a disk it
 * cannot open there, and goes on). */
long long qemu_dm_log_size(const char *name);
bool qemu_dm_log_has(const char *name, long long since, const char *text);

/*
 * For the domain monitor: one QEMU watched through a pidfd, so that its
 * death wakes the monitor's poll(). fd is -1 while none is watched.
 */
struct qemu_dm_watch {
    pid_t pid;
    int fd;
};

void qemu_dm_watch_init(struct qemu_dm_watch *w);
/* Looks for domid's QEMU and watches it if it is a new one. Returns the
 * pid of a QEMU that was watched and has gone since (so the caller can say
 * so), else 0. */
pid_t qemu_dm_watch_update(struct qemu_dm_watch *w, uint32_t domid);
void qemu_dm_watch_close(struct qemu_dm_watch *w);

#endif
