/* xenconsoled for Basalt: start-up, daemonizing, and the single-threaded
 * poll() loop over the xenstore connection, the event channel device and
 * every console's pty. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dom0/lib/daemon.h"
#include "dom0/lib/log.h"
#include "dom0/lib/mem.h"

#include "domain.h"
#include "options.h"
#include "platform.h"
#include "store.h"

#define TOKEN_INTRODUCE "introduce"
#define TOKEN_RELEASE "release"

static void log_stats(void)
{
    struct mem_stats m;
    unsigned known, served;

    mem_get_stats(&m);
    domains_stats(&known, &served);
    log_msg(LOG_LVL_INFO, "stats: domains %u consoles %u mem-blocks %zu mem-bytes %zu", known,
            served, m.blocks, m.bytes);
}

/* Returns true when the daemon should stop. */
static bool handle_signals(void)
{
    bool stop = false;
    int sig;

    while ((sig = daemon_signal_next())) {
        if (sig == SIGHUP)
            domains_reopen_logs();
        else if (sig == SIGUSR1)
            log_stats();
        else
            stop = true;
    }
    return stop;
}

/* Watch events: read what arrived, then handle everything queued
 * (requests made while handling may queue more). */
static void handle_store(bool readable)
{
    const char *path, *token;
    void *ev;
    unsigned domid;

    if (readable)
        store_pump();
    while ((ev = store_next_event(&path, &token))) {
        if (!strcmp(token, TOKEN_INTRODUCE))
            domains_scan();
        else if (!strcmp(token, TOKEN_RELEASE))
            domains_check_released();
        else if (sscanf(token, "dom%u", &domid) == 1)
            domains_console_changed(domid);
        store_free(ev);
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns the exit status: 0 after SIGTERM/SIGINT, 1 on a fatal error. */
static int main_loop(void)
{
    struct pollfd *fds = NULL;
    unsigned *owners = NULL;
    size_t cap = 0;
    int status = 0;

    for (;;) {
        int64_t now = now_ms(), deadline;
        size_t n = 3, i, want;
        int timeout = -1;

        domains_tick(now);
        want = domains_poll_count() + 3;
        if (cap < want) {
            cap = want * 2;
            mem_free(fds);
            mem_free(owners);
            fds = mem_zalloc(cap * sizeof(*fds));
            owners = mem_zalloc(cap * sizeof(*owners));
        }
        fds[0] = (struct pollfd){ .fd = daemon_signal_fd(), .events = POLLIN };
        fds[1] = (struct pollfd){ .fd = store_fd(), .events = POLLIN };
        fds[2] = (struct pollfd){ .fd = platform_event_fd(), .events = POLLIN };
        n += domains_poll_fill(fds + 3, owners + 3, cap - 3);
        deadline = domains_deadline();
        if (deadline != INT64_MAX)
            timeout = deadline > now ? (int)(deadline - now) : 0;
        if (store_has_events())
            timeout = 0;

        if (poll(fds, n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            log_msg(LOG_LVL_ERR, "poll: %s", strerror(errno));
            status = 1;
            break;
        }
        if ((fds[0].revents & POLLIN) && handle_signals())
            break;
        /* Ptys first: the owners are domids, looked up again, so nothing
         * below can leave a stale pointer behind. */
        for (i = 3; i < n; i++)
            domains_pty_ready(owners[i], fds[i].revents);
        if (fds[2].revents & POLLIN) {
            int port = platform_pending();

            if (port >= 0)
                domains_event(port, now_ms());
        }
        handle_store(fds[1].revents != 0);
        if (!store_alive()) {
            /* Without xenstore no console can be found or published; an
             * init system restarts us and a restart rebuilds everything. */
            log_msg(LOG_LVL_ERR, "exiting: xenstore is gone");
            status = 1;
            break;
        }
    }
    mem_free(fds);
    mem_free(owners);
    return status;
}

int main(int argc, char **argv)
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, 0 };
    struct mem_stats m;
    int rc, report_fd = -1, status = 0;

    log_set_ident("xenconsoled");
    rc = options_parse(argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    log_set_verbose(opts.verbose);
    if (daemon_signals_init(sigs) < 0) {
        log_msg(LOG_LVL_ERR, "pipe: %s", strerror(errno));
        return 1;
    }
    if (!opts.interactive && (report_fd = daemon_fork()) < 0) {
        log_msg(LOG_LVL_ERR, "cannot daemonize: %s", strerror(errno));
        return 1;
    }
    rc = platform_open(opts.platform_arg);
    if (rc < 0) {
        log_msg(LOG_LVL_ERR, "cannot open the hypervisor interfaces: %s "
                "(is this Dom0 with the xen-evtchn and xen-gntdev modules loaded?)",
                strerror(-rc));
        return 1;
    }
    rc = store_open();
    if (rc < 0) {
        log_msg(LOG_LVL_ERR, "cannot connect to xenstored: %s", strerror(-rc));
        platform_close();
        return 1;
    }
    /* Both fire once at once: the first scan finds the domains that
     * already exist. */
    if ((rc = store_watch("@introduceDomain", TOKEN_INTRODUCE)) < 0 ||
        (rc = store_watch("@releaseDomain", TOKEN_RELEASE)) < 0) {
        log_msg(LOG_LVL_ERR, "cannot watch @introduceDomain/@releaseDomain: %s",
                strerror(-rc));
        store_close();
        platform_close();
        return 1;
    }
    domains_scan();
    if (opts.pid_file && daemon_write_pid_file(opts.pid_file) < 0)
        log_msg(LOG_LVL_WARN, "cannot write pid file %s: %s", opts.pid_file, strerror(errno));
    if (report_fd >= 0)
        daemon_ready(report_fd);
    log_msg(LOG_LVL_INFO, "ready");

    status = main_loop();

    log_msg(LOG_LVL_INFO, "shutting down");
    domains_free_all();
    store_close();
    platform_close();
    if (opts.pid_file)
        unlink(opts.pid_file);
    daemon_signals_close();
    mem_get_stats(&m);
    if (m.blocks) {
        log_msg(LOG_LVL_WARN, "%zu blocks (%zu bytes) still allocated at exit", m.blocks,
                m.bytes);
        status = 1;
    }
    return status;
}
