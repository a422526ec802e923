/*
 * The domain monitor (see monitor.h). It learns of a shutdown three ways,
 * each enough on its own: VIRQ_DOM_EXC (which the hypervisor raises in
 * Dom0 on every shutdown and destruction; Xen allows one binding per
 * domain, so this fails with EEXIST while xenstored holds it), the
 * @releaseDomain watch that xenstored fires for the same events (Xen's
 * libxl relies on it; on a connection of its own, see xs_watch.h), and a
 * periodic check.
 */
#include "monitor.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xenstore.h>
#include <xen/sched.h>
#include <xen/xen.h>

#include "build_pvh.h"
#include "ctl.h"
#include "disk_devices.h"
#include "domain_userdata.h"
#include "format.h"
#include "qemu_dm.h"
#include "teardown.h"
#include "util.h"
#include "vif_devices.h"
#include "xs_store.h"
#include "xs_watch.h"

enum shutdown_action monitor_action(const struct build_request *r, uint32_t reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff: return r->on_poweroff;
    case SHUTDOWN_reboot: return r->on_reboot;
    case SHUTDOWN_watchdog: return r->on_watchdog;
    case SHUTDOWN_soft_reset: return r->on_soft_reset;
    case SHUTDOWN_crash:
    default: return r->on_crash;
    }
}

struct monitor_events {
    struct xs_handle *xs;       /* requests only: never watched (see xs_watch.h) */
    struct xs_watch_conn watch; /* @releaseDomain */
    xenevtchn_handle *xce;
    int virq_port;
    struct qemu_dm_watch dm;    /* the domain's QEMU, if it has one */
};

static void monitor_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void monitor_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static void open_event_sources(struct monitor_events *m)
{
    m->virq_port = -1;
    qemu_dm_watch_init(&m->dm);
    m->xs = xsh_open();
    if (!m->xs)
        monitor_log("cannot connect to xenstored (%s); checking the domain every %d s",
                    strerror(errno), MONITOR_POLL_MS / 1000);
    int rc = xs_watch_open(&m->watch, "@releaseDomain", "release");
    if (rc)
        monitor_log("cannot watch @releaseDomain (%s); checking the domain every %d s",
                    strerror(-rc), MONITOR_POLL_MS / 1000);
    m->xce = xenevtchn_open(xl_logger(), 0);
    if (m->xce) {
        int port = xenevtchn_bind_virq(m->xce, VIRQ_DOM_EXC);
        if (port >= 0) {
            m->virq_port = port;
        } else {
            xenevtchn_close(m->xce);
            m->xce = NULL;
        }
    }
}

static void close_event_sources(struct monitor_events *m)
{
    if (m->xce)
        xenevtchn_close(m->xce);
    qemu_dm_watch_close(&m->dm);
    xs_watch_close(&m->watch);
    xsh_close(m->xs);
}

/* Sleeps until an event that may concern the domain, or the poll period. */
static void wait_for_event(struct monitor_events *m)
{
    struct pollfd fds[3];
    nfds_t n = 0, evtchn = 0;
    if (m->watch.fd >= 0)
        fds[n++] = (struct pollfd){ .fd = m->watch.fd, .events = POLLIN };
    if (m->xce) {
        evtchn = n;
        fds[n++] = (struct pollfd){ .fd = xenevtchn_fd(m->xce), .events = POLLIN };
    }
    if (m->dm.fd >= 0)
        fds[n++] = (struct pollfd){ .fd = m->dm.fd, .events = POLLIN };
    if (poll(fds, n, MONITOR_POLL_MS) <= 0)
        return;
    if (m->watch.fd >= 0 && xs_watch_drain(&m->watch) < 0)
        monitor_log("lost the @releaseDomain watch; checking the domain every %d s",
                    MONITOR_POLL_MS / 1000);
    if (m->xce && fds[evtchn].revents & POLLIN) {
        xenevtchn_port_or_error_t port = xenevtchn_pending(m->xce);
        if (port >= 0)
            xenevtchn_unmask(m->xce, (evtchn_port_t)port);
    }
}

/* r's disks become those of domid's record (xl block-attach and
 * block-detach change them); on error r keeps its own. */
static void refresh_disks(struct build_request *r, struct xs_handle *xs, uint32_t domid)
{
    struct vbd *disks;
    unsigned n;
    char why[256];
    if (disks_read(xs, domid, &disks, &n, why, sizeof(why))) {
        monitor_log("cannot read domain %u's disks (%s); restarting with the configured ones",
                    domid, why);
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        disks[i].source = "xenstore";
        disks[i].line = 0;
    }
    build_request_free(r);
    r->disks = disks;
    r->n_disks = n;
}

int monitor_run(struct build_request *r, uint32_t domid)
{
    struct monitor_events m;
    int status = 0, errors = 0;
    uint32_t seen_suspend = UINT32_MAX;

    r->start_paused = false; /* -p applies to the first build only */
    open_event_sources(&m);
    monitor_log("Waiting for domain %s (domid %u) to die [pid %ld]", r->name, domid,
                (long)getpid());
    for (;;) {
        struct basalt_domain_info info;
        int rc = ctl_domain_info(domid, &info);
        if (rc == -ESRCH) {
            /* Destroyed by someone else (xl destroy, the hypervisor):
             * make sure nothing of it stays, its QEMU included. */
            monitor_log("Domain %u has been destroyed.", domid);
            qemu_dm_stop(domid);
            userdata_remove(domid);
            if (m.xs) {
                vif_devices_remove_all(m.xs, domid);
                xsh_remove_domain(m.xs, domid);
            }
            break;
        }
        if (rc) {
            monitor_log("cannot query domain %u: %s", domid, ctl_strerror(rc));
            if (++errors >= 10) {
                status = 1;
                break;
            }
            wait_for_event(&m);
            continue;
        }
        errors = 0;
        pid_t dm_gone = qemu_dm_watch_update(&m.dm, domid);
        if (dm_gone)
            monitor_log("QEMU (pid %ld), which serves domain %u's disks, has exited; the guest's "
                        "disk I/O stalls until the domain is destroyed or restarted",
                        (long)dm_gone, domid);
        if (!(info.flags & BDOM_SHUTDOWN)) {
            seen_suspend = UINT32_MAX;
            wait_for_event(&m);
            continue;
        }

        uint32_t reason = info.shutdown_reason;
        if (reason == SHUTDOWN_suspend) {
            /* Suspend is for save/migrate, which xl does not do yet. */
            if (seen_suspend != domid)
                monitor_log("Domain %u suspended itself; leaving it so", domid);
            seen_suspend = domid;
            wait_for_event(&m);
            continue;
        }
        enum shutdown_action action = monitor_action(r, reason);
        monitor_log("Domain %u has shut down, reason code %u 0x%x (%s)", domid, reason, reason,
                    fmt_shutdown_reason(reason));
        monitor_log("Action for shutdown reason code %u is %s", reason,
                    shutdown_action_name(action));
        if (action == SHUTDOWN_ACTION_PRESERVE || action == SHUTDOWN_ACTION_RENAME_RESTART) {
            if (action == SHUTDOWN_ACTION_RENAME_RESTART)
                monitor_log("rename-restart: the control ABI cannot rename a domain, so a new one "
                            "named %s cannot be started; preserving domain %u as it is",
                            r->name, domid);
            monitor_log("Done. Exiting now");
            break;
        }
        if (action == SHUTDOWN_ACTION_SOFT_RESET)
            monitor_log("soft-reset is not supported; destroying the domain");
        monitor_log("Domain %u needs to be cleaned up: destroying the domain", domid);
        /* A restart keeps the disks the domain has now, hot-plugged ones
         * included, as libxl does. */
        if (action == SHUTDOWN_ACTION_RESTART && m.xs)
            refresh_disks(r, m.xs, domid);
        rc = domain_teardown(domid, m.xs);
        qemu_dm_watch_close(&m.dm);
        if (rc) {
            monitor_log("cannot destroy domain %u: %s", domid, ctl_strerror(rc));
            status = 1;
            break;
        }
        if (action != SHUTDOWN_ACTION_RESTART) {
            monitor_log("Done. Exiting now");
            break;
        }
        /* The name is free only once the old domain has really gone. */
        for (int i = 0; i < 100 && ctl_domain_info(domid, &info) != -ESRCH; i++)
            usleep(100 * 1000);
        monitor_log("Done. Rebooting now");
        if (!m.xs) {
            monitor_log("cannot restart domain %s: no connection to xenstored", r->name);
            status = 1;
            break;
        }
        char err[512];
        uint32_t newid;
        if (build_domain(r, m.xs, &newid, err, sizeof(err))) {
            monitor_log("cannot restart domain %s: %s", r->name, err);
            status = 1;
            break;
        }
        monitor_log("Domain %s restarted with id %u", r->name, newid);
        if (r->saved_config && (rc = userdata_store(newid, r->uuid, r->saved_config,
                                                    r->saved_config_len)))
            monitor_log("cannot keep domain %u's configuration: %s", newid, strerror(-rc));
        domid = newid;
    }
    close_event_sources(&m);
    return status;
}
