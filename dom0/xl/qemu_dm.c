/* A domain's QEMU: start, find, stop, watch (see qemu_dm.h). */
#include "qemu_dm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "cfg_error.h"
#include "dom0/lib/write_all.h"
#include "qemu_dm_args.h"
#include "util.h"
#include "xs_store.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* A pidfd for pid (Linux 5.3), or -1: callers fall back to /proc. */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

/* The start of /proc/PID/WHAT, NUL-terminated; its length, or -1. */
static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* Whether pid is a process that has not exited (a zombie has). */
static bool alive(pid_t pid)
{
    char buf[256];
    if (read_proc(pid, "stat", buf, sizeof(buf)) < 0)
        return false;
    /* "PID (COMM) STATE ...": COMM may hold anything, so the state is
     * after the last ')'. */
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Waits up to ms for pid to exit. True once it has. */
static bool wait_gone(pid_t pid, int pidfd, int ms)
{
    uint64_t deadline = xl_now_ms() + (uint64_t)ms;
    for (;;) {
        if (pidfd >= 0) {
            struct pollfd p = { .fd = pidfd, .events = POLLIN };
            int left = (int)(deadline > xl_now_ms() ? deadline - xl_now_ms() : 0);
            int n = poll(&p, 1, left);
            if (n > 0)
                return true;
            if (n == 0)
                return false;
            if (errno != EINTR)
                pidfd = -1;
            continue;
        }
        if (!alive(pid))
            return true;
        if (xl_now_ms() >= deadline)
            return false;
        xl_sleep_ms(50);
    }
}

/* Whether /proc/PID/cmdline is our QEMU binary serving domid. */
static bool is_dm_of(pid_t pid, uint32_t domid)
{
    char buf[4096], want[16];
    ssize_t n = read_proc(pid, "cmdline", buf, sizeof(buf));
    if (n < 0 || strcmp(buf, QEMU_DM_BINARY))
        return false;
    snprintf(want, sizeof(want), "%u", domid);
    for (const char *a = buf; a < buf + n; a += strlen(a) + 1) {
        const char *next = a + strlen(a) + 1;
        if (!strcmp(a, "-xen-domid"))
            return next < buf + n && !strcmp(next, want);
    }
    return false;
}

pid_t qemu_dm_find(uint32_t domid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    pid_t found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1 || pid == getpid())
            continue;
        if (is_dm_of((pid_t)pid, domid) && alive((pid_t)pid))
            found = (pid_t)pid;
    }
    closedir(d);
    return found;
}

static void remove_sockets(uint32_t domid)
{
    char path[128];
    qemu_dm_qmp_path(domid, path, sizeof(path));
    unlink(path);
    snprintf(path, sizeof(path), QEMU_DM_RUN_DIR "/qmp-libxenstat-%u", domid);
    unlink(path);
}

int qemu_dm_stop(uint32_t domid)
{
    pid_t pid = qemu_dm_find(domid);
    int rc = 0;
    if (pid > 0) {
        int fd = open_pidfd(pid);
        kill(pid, SIGTERM);
        if (!wait_gone(pid, fd, QEMU_DM_STOP_MS)) {
            xl_err("QEMU of domain %u (pid %ld) did not exit within %d s of SIGTERM; killing it",
                   domid, (long)pid, QEMU_DM_STOP_MS / 1000);
            kill(pid, SIGKILL);
            if (!wait_gone(pid, fd, 5000)) {
                xl_err("QEMU of domain %u (pid %ld) survives SIGKILL (stuck in I/O?)", domid,
                       (long)pid);
                rc = -1;
            }
        }
        if (fd >= 0)
            close(fd);
    }
    remove_sockets(domid);
    return rc;
}

void qemu_dm_log_tail(const char *name, char *out, size_t len)
{
    char path[256], buf[4096];
    out[0] = '\0';
    qemu_dm_log_path(name, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    char *line = strrchr(buf, '\n');
    snprintf(out, len, "%s", line ? line + 1 : buf);
}

long long qemu_dm_log_size(const char *name)
{
    char path[256];
    struct stat st;
    qemu_dm_log_path(name, path, sizeof(path));
    return stat(path, &st) ? 0 : (long long)st.st_size;
}

bool qemu_dm_log_has(const char *name, long long since, const char *text)
{
    char path[256], buf[16384];
    qemu_dm_log_path(name, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, (off_t)since);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* Forks QEMU off as a grandchild in its own session. Returns its pid, or
 * -1 with errno set (an exec failure's errno comes back through a pipe). */
static pid_t spawn(char *const argv[], const char *log_path)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return -1;
    fflush(NULL);
    pid_t mid = fork();
    if (mid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        errno = e;
        return -1;
    }
    if (mid == 0) {
        close(p[0]);
        setsid();
        pid_t q = fork();
        if (q != 0) {
            int msg[2] = { q > 0 ? (int)q : -1, q > 0 ? 0 : errno };
            write_all(p[1], msg, sizeof(msg));
            _exit(0);
        }
        int in = open("/dev/null", O_RDONLY);
        int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (out < 0)
            out = open("/dev/null", O_WRONLY);
        if (in >= 0)
            dup2(in, STDIN_FILENO);
        if (out >= 0) {
            dup2(out, STDOUT_FILENO);
            dup2(out, STDERR_FILENO);
        }
        /* xl's own descriptors (xenstored, privcmd) are not QEMU's. */
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        signal(SIGPIPE, SIG_DFL);
        if (!getenv(QEMU_DM_ENV_NAME))
            setenv(QEMU_DM_ENV_NAME, QEMU_DM_ENV_VALUE, 1);
        execv(argv[0], argv);
        int e = errno;
        write_all(p[1], &e, sizeof(e));
        _exit(127);
    }
    close(p[1]);
    int msg[2] = { -1, EIO };
    ssize_t n = read(p[0], msg, sizeof(msg));
    waitpid(mid, NULL, 0);
    if (n != (ssize_t)sizeof(msg) || msg[0] < 0) {
        close(p[0]);
        errno = n == (ssize_t)sizeof(msg) ? msg[1] : EIO;
        return -1;
    }
    int exec_errno = 0;
    n = read(p[0], &exec_errno, sizeof(exec_errno));
    close(p[0]);
    if (n == (ssize_t)sizeof(exec_errno)) {
        errno = exec_errno;
        return -1;
    }
    return (pid_t)msg[0];
}

pid_t qemu_dm_start(struct xs_handle *xs, uint32_t domid, const char *name, uint64_t maxmem_mib,
                    char *err, size_t errlen)
{
    struct qemu_dm_args a;

    if (qemu_dm_args_build(&a, domid, name, maxmem_mib))
        return cfg_fail(err, errlen, "QEMU's command line is too long");
    return qemu_dm_start_args(xs, domid, name, &a, err, errlen);
}

pid_t qemu_dm_start_args(struct xs_handle *xs, uint32_t domid, const char *name,
                         const struct qemu_dm_args *a, char *err, size_t errlen)
{
    char dm_path[64], state_path[96], log_path[256], path[96], num[24], tail[512];

    if (access(QEMU_DM_BINARY, X_OK))
        return cfg_fail(err, errlen, "cannot run %s (%s): is Debian's qemu-system-xen installed?",
                    QEMU_DM_BINARY, strerror(errno));
    mkdir(QEMU_DM_RUN_DIR, 0755);
    mkdir(QEMU_DM_LOG_DIR, 0755);
    remove_sockets(domid);
    qemu_dm_log_path(name, log_path, sizeof(log_path));

    /* QEMU writes its state under Dom0's device-model/DOMID; nothing old may
     * be mistaken for its answer. */
    snprintf(dm_path, sizeof(dm_path), "/local/domain/0/device-model/%u", domid);
    snprintf(state_path, sizeof(state_path), "%s/state", dm_path);
    xs_rm(xs, XBT_NULL, dm_path);
    if (!xs_mkdir(xs, XBT_NULL, dm_path))
        return cfg_fail(err, errlen, "cannot create %s in xenstore: %s", dm_path, strerror(errno));
    snprintf(path, sizeof(path), "/libxl/%u/dm-version", domid);
    xsh_write(xs, path, "qemu_xen");

    pid_t pid = spawn(a->argv, log_path);
    if (pid < 0)
        return cfg_fail(err, errlen, "cannot start %s: %s", QEMU_DM_BINARY, strerror(errno));
    xl_info("  QEMU for domain %u started, pid %ld, log %s", domid, (long)pid, log_path);
    snprintf(path, sizeof(path), "/local/domain/%u/image/device-model-pid", domid);
    snprintf(num, sizeof(num), "%ld", (long)pid);
    xsh_write(xs, path, num);

    int fd = open_pidfd(pid);
    uint64_t deadline = xl_now_ms() + QEMU_DM_START_MS;
    for (;;) {
        char *state = xsh_read(xs, state_path);
        bool running = state && !strcmp(state, "running");
        free(state);
        if (running)
            break;
        if (wait_gone(pid, fd, 100)) {
            if (fd >= 0)
                close(fd);
            remove_sockets(domid);
            qemu_dm_log_tail(name, tail, sizeof(tail));
            return cfg_fail(err, errlen, "QEMU exited while starting (%s)%s%s", log_path,
                        *tail ? ": " : "", tail);
        }
        if (xl_now_ms() >= deadline) {
            if (fd >= 0)
                close(fd);
            qemu_dm_stop(domid);
            return cfg_fail(err, errlen, "QEMU did not report running within %d s (%s)",
                        QEMU_DM_START_MS / 1000, log_path);
        }
    }
    if (fd >= 0)
        close(fd);
    return pid;
}

void qemu_dm_watch_init(struct qemu_dm_watch *w)
{
    w->pid = 0;
    w->fd = -1;
}

void qemu_dm_watch_close(struct qemu_dm_watch *w)
{
    if (w->fd >= 0)
        close(w->fd);
    qemu_dm_watch_init(w);
}

pid_t qemu_dm_watch_update(struct qemu_dm_watch *w, uint32_t domid)
{
    pid_t gone = 0;
    if (w->pid > 0) {
        bool exited = w->fd >= 0 ? wait_gone(w->pid, w->fd, 0) : !alive(w->pid);
        if (exited) {
            gone = w->pid;
            qemu_dm_watch_close(w);
        }
    }
    pid_t now = qemu_dm_find(domid);
    if (now > 0 && now != w->pid) {
        qemu_dm_watch_close(w);
        w->pid = now;
        w->fd = open_pidfd(now);
    }
    return gone;
}
