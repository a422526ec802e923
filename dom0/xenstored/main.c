/* xenstored for Basalt: command line, start-up, and the single-threaded
 * poll() loop that moves bytes between clients and the store. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dom0/lib/daemon.h"
#include "dom0/lib/log.h"
#include "dom0/lib/xenstored_path.h"

#include "conn.h"
#include "conn_socket.h"
#include "domain.h"
#include "dom0/lib/mem.h"
#include "platform.h"
#include "quota.h"
#include "special.h"
#include "trace.h"
#include "tree.h"

struct options {
    bool no_domain_init;
    bool no_fork;
    bool output_pid;
    const char *pid_file;
    const char *trace_file;
    const char *socket_path;
    const char *platform_arg;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: xenstored [options]\n"
            "  -N, --no-fork              stay in the foreground, log to stderr\n"
            "  -F, --pid-file FILE        write the daemon's pid to FILE\n"
            "  -P, --output-pid           print the daemon's pid on stdout\n"
            "  -T, --trace-file FILE      log every message to FILE (SIGHUP reopens)\n"
            "  -D, --no-domain-init       no hypervisor: serve the unix socket only\n"
            "  -E, --entry-nb N           nodes per domain (default 1000)\n"
            "  -S, --entry-size N         bytes per node (default 2048)\n"
            "  -W, --watch-nb N           watches per domain (default 128)\n"
            "  -t, --transaction N        transactions per domain (default 10)\n"
            "  -A, --perm-nb N            permissions per node (default 5)\n"
            "  -M, --path-max N           path length below a domain's home (default 2048)\n"
            "  -Q, --quota NAME=N         outstanding (20), transaction-nodes (1024),\n"
            "                             output-queue (1048576 bytes per connection)\n"
            "  -q, --quota-soft NAME=N    accepted for compatibility\n"
            "  -K, --keep-orphans         give a dead domain's nodes to Dom0 instead of\n"
            "                             deleting them\n"
            "  -p, --priv-domid ID        treat domain ID as privileged too\n"
            "      --socket PATH          listen on PATH (default: $XENSTORED_PATH or\n"
            "                             ${XENSTORED_RUNDIR-/var/run/xenstored}/socket)\n"
#ifdef XENSTORED_TEST_PLATFORM
            "      --test-platform DIR    fake hypervisor in DIR (test binary only)\n"
#endif
            "  -V, --verbose              debug logging\n"
            "  -H, --help                 this text\n"
            "Quota value 0 disables a limit. -I, -R and -w are accepted and ignored.\n");
}

static int number_arg(const char *opt, const char *val, unsigned *out)
{
    if (quota_parse_number(val, out) < 0) {
        fprintf(stderr, "xenstored: %s needs a number, not \"%s\"\n", opt, val);
        return -1;
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    enum { OPT_SOCKET = 256, OPT_TEST_PLATFORM };
    static const struct option longopts[] = {
        { "no-domain-init", no_argument, NULL, 'D' },
        { "entry-nb", required_argument, NULL, 'E' },
        { "pid-file", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'H' },
        { "internal-db", optional_argument, NULL, 'I' },
        { "keep-orphans", no_argument, NULL, 'K' },
        { "no-fork", no_argument, NULL, 'N' },
        { "output-pid", no_argument, NULL, 'P' },
        { "no-recovery", no_argument, NULL, 'R' },
        { "entry-size", required_argument, NULL, 'S' },
        { "trace-file", required_argument, NULL, 'T' },
        { "transaction", required_argument, NULL, 't' },
        { "perm-nb", required_argument, NULL, 'A' },
        { "path-max", required_argument, NULL, 'M' },
        { "quota", required_argument, NULL, 'Q' },
        { "quota-soft", required_argument, NULL, 'q' },
        { "timeout", required_argument, NULL, 'w' },
        { "watch-nb", required_argument, NULL, 'W' },
        { "priv-domid", required_argument, NULL, 'p' },
        { "verbose", no_argument, NULL, 'V' },
        { "socket", required_argument, NULL, OPT_SOCKET },
#ifdef XENSTORED_TEST_PLATFORM
        { "test-platform", required_argument, NULL, OPT_TEST_PLATFORM },
#endif
        { NULL, 0, NULL, 0 },
    };
    char why[128];
    unsigned v;
    int opt;

    while ((opt = getopt_long(argc, argv, "DE:F:HI::KNPRS:T:t:A:M:Q:q:w:W:p:V", longopts,
                              NULL)) != -1) {
        switch (opt) {
        case 'D': o->no_domain_init = true; break;
        case 'F': o->pid_file = optarg; break;
        case 'H': usage(stdout); exit(0);
        case 'I': case 'R': case 'w': break;
        case 'K': keep_orphans = true; break;
        case 'N': o->no_fork = true; break;
        case 'P': o->output_pid = true; break;
        case 'T': o->trace_file = optarg; break;
        case 'V': log_set_verbose(true); break;
        case OPT_SOCKET: o->socket_path = optarg; break;
        case OPT_TEST_PLATFORM: o->platform_arg = optarg; break;
        case 'E': if (number_arg("-E", optarg, &quota.nodes)) return -1; break;
        case 'S': if (number_arg("-S", optarg, &quota.node_size)) return -1; break;
        case 'W': if (number_arg("-W", optarg, &quota.watches)) return -1; break;
        case 't': if (number_arg("-t", optarg, &quota.transactions)) return -1; break;
        case 'A': if (number_arg("-A", optarg, &quota.perms)) return -1; break;
        case 'M':
            if (number_arg("-M", optarg, &quota.path_max))
                return -1;
            if (quota.path_max > XENSTORE_REL_PATH_MAX)
                quota.path_max = XENSTORE_REL_PATH_MAX;
            break;
        case 'p':
            if (number_arg("-p", optarg, &v) || v > 0xffff)
                return -1;
            priv_domid = v;
            break;
        case 'Q': case 'q':
            if (quota_parse(optarg, opt == 'q', why, sizeof(why)) < 0) {
                fprintf(stderr, "xenstored: %s\n", why);
                return -1;
            }
            break;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "xenstored: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
#ifdef XENSTORED_TEST_PLATFORM
    if (!o->platform_arg && !o->no_domain_init) {
        fprintf(stderr, "xenstored-test: needs --test-platform DIR or -D\n");
        return -1;
    }
#endif
    return 0;
}

/* Returns true when the daemon should stop. */
static bool handle_signals(void)
{
    bool stop = false;
    int sig;

    while ((sig = daemon_signal_next())) {
        if (sig == SIGHUP)
            trace_reopen();
        else
            stop = true;
    }
    return stop;
}

static void main_loop(int listen_fd)
{
    struct pollfd *fds = NULL;
    struct conn **owners = NULL;
    size_t cap = 0;
    bool busy = false;

    for (;;) {
        size_t n = 0, i;
        int efd = domain_platform_active() ? platform_event_fd() : -1;
        struct conn *c;
        unsigned nconn = conn_count() + 3;

        if (cap < nconn) {
            cap = nconn * 2;
            fds = mem_realloc(fds, cap * sizeof(*fds));
            owners = mem_realloc(owners, cap * sizeof(*owners));
        }
        fds[n] = (struct pollfd){ .fd = daemon_signal_fd(), .events = POLLIN };
        owners[n++] = NULL;
        fds[n] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
        owners[n++] = NULL;
        fds[n] = (struct pollfd){ .fd = efd, .events = POLLIN };
        owners[n++] = NULL;
        for (c = conn_list; c; c = c->next) {
            if (c->dead || c->fd < 0)
                continue;
            fds[n] = (struct pollfd){ .fd = c->fd };
            if (conn_wants_input(c))
                fds[n].events |= POLLIN;
            if (conn_has_output(c))
                fds[n].events |= POLLOUT;
            owners[n++] = c;
        }
        if (poll(fds, n, busy ? 0 : -1) < 0 && errno != EINTR) {
            log_msg(LOG_LVL_ERR, "poll: %s", strerror(errno));
            break;
        }
        if ((fds[0].revents & POLLIN) && handle_signals())
            break;
        if (fds[1].revents & POLLIN)
            socket_accept(listen_fd);
        if (efd >= 0 && (fds[2].revents & POLLIN)) {
            int port = platform_pending();

            if (port >= 0)
                domain_handle_event(port);
        }
        for (i = 3; i < n; i++)
            if ((fds[i].revents & (POLLHUP | POLLERR)) && !(fds[i].revents & POLLIN) &&
                !conn_has_output(owners[i]))
                conn_kill(owners[i], "client hung up");
        /* Rings are cheap to look at; sockets are non-blocking. */
        busy = false;
        for (c = conn_list; c; c = c->next)
            if (!c->dead && conn_service(c))
                busy = true;
        /* Requests handled late in the pass may have queued events for
         * connections served earlier. */
        for (c = conn_list; c; c = c->next)
            if (conn_has_output(c))
                conn_flush(c);
        conn_reap();
    }
    mem_free(fds);
    mem_free(owners);
}

int main(int argc, char **argv)
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
    struct options o = { 0 };
    char sockbuf[256];
    struct mem_stats m;
    int listen_fd, rc, report_fd = -1;

    log_set_ident("xenstored");
    quota_set_defaults();
    if (parse_options(argc, argv, &o) < 0)
        return 2;
    if (!o.socket_path && !(o.socket_path = xenstored_socket_path(sockbuf, sizeof(sockbuf)))) {
        log_msg(LOG_LVL_ERR, "cannot listen: the socket path from $XENSTORED_PATH or "
                "$XENSTORED_RUNDIR is too long");
        return 1;
    }
    if (o.trace_file && (rc = trace_open(o.trace_file)) < 0) {
        log_msg(LOG_LVL_ERR, "cannot open trace file %s: %s", o.trace_file, strerror(-rc));
        return 1;
    }
    if (daemon_signals_init(sigs) < 0) {
        log_msg(LOG_LVL_ERR, "pipe: %s", strerror(errno));
        return 1;
    }
    tree_init();
    special_init();

    listen_fd = socket_listen(o.socket_path);
    if (listen_fd < 0) {
        log_msg(LOG_LVL_ERR, "cannot listen on %s: %s", o.socket_path, strerror(-listen_fd));
        return 1;
    }
    if (!o.no_domain_init) {
        rc = platform_open(o.platform_arg);
        if (rc < 0) {
            log_msg(LOG_LVL_ERR, "cannot open the hypervisor interfaces: %s "
                    "(is this Dom0 with the xen modules loaded? -D serves the socket only)",
                    strerror(-rc));
            unlink(o.socket_path);
            return 1;
        }
        if (domain_init() < 0) {
            platform_close();
            unlink(o.socket_path);
            return 1;
        }
    }
    /* Forks once the socket and rings are ready. */
    if (!o.no_fork && (report_fd = daemon_fork()) < 0) {
        log_msg(LOG_LVL_ERR, "cannot daemonize: %s", strerror(errno));
        return 1;
    }
    if (o.pid_file && daemon_write_pid_file(o.pid_file) < 0)
        log_msg(LOG_LVL_WARN, "cannot write pid file %s", o.pid_file);
    if (o.output_pid) {
        printf("%ld\n", (long)getpid());
        fflush(stdout);
    }
    if (!o.no_fork)
        daemon_ready(report_fd);
    log_msg(LOG_LVL_INFO, "ready on %s", o.socket_path);

    main_loop(listen_fd);

    log_msg(LOG_LVL_INFO, "shutting down");
    domain_shutdown();
    conn_free_all();
    tree_destroy();
    domain_free_all();
    if (!o.no_domain_init)
        platform_close();
    close(listen_fd);
    unlink(o.socket_path);
    if (o.pid_file)
        unlink(o.pid_file);
    trace_close();
    daemon_signals_close();
    mem_get_stats(&m);
    if (m.blocks)
        log_msg(LOG_LVL_WARN, "%zu blocks (%zu bytes) still allocated at exit", m.blocks,
                m.bytes);
    return 0;
}
