/* `xl console` (see console.h). */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "dom0/lib/write_all.h"

#include "ctl.h"
#include "util.h"
#include "xs_store.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* The pty xenconsoled serves the console on, once it has said so. */
static char *wait_for_console_tty(uint32_t domid)
{
    char path[64];
    struct xs_handle *xs = xsh_open();
    if (!xs) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return NULL;
    }
    snprintf(path, sizeof(path), "/local/domain/%u/console/tty", domid);
    uint64_t deadline = xl_now_ms() + CONSOLE_TTY_WAIT_MS;
    char *tty = NULL;
    for (;;) {
        tty = xsh_read(xs, path);
        if (tty && *tty)
            break;
        free(tty);
        tty = NULL;
        struct basalt_domain_info info;
        if (ctl_domain_info(domid, &info) == -ESRCH) {
            xl_err("domain %u has gone", domid);
            break;
        }
        if (xl_now_ms() >= deadline) {
            xl_err("domain %u has no console pty after %d s (is xenconsoled running? "
                   "is the domain built by xl?)",
                   domid, CONSOLE_TTY_WAIT_MS / 1000);
            break;
        }
        xl_sleep_ms(100);
    }
    xsh_close(xs);
    return tty;
}

int console_attach(uint32_t domid)
{
    char *tty = wait_for_console_tty(domid);
    if (!tty)
        return 1;
    int pty = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (pty < 0) {
        xl_err("cannot open %s: %s", tty, strerror(errno));
        free(tty);
        return 1;
    }
    free(tty);

    /* Our end of the pty passes bytes unchanged: the guest's own terminal
     * handling does the rest. */
    struct termios t;
    if (!tcgetattr(pty, &t)) {
        cfmakeraw(&t);
        tcsetattr(pty, TCSANOW, &t);
    }
    struct termios saved;
    bool raw = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved);
    /* TCSANOW, not TCSAFLUSH: what was typed ahead (while xl started up)
     * is for the guest. */
    if (raw) {
        t = saved;
        cfmakeraw(&t);
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    bool in_open = true;
    char buf[4096];
    size_t after_escape = 0, escape_at = 0; /* bytes read after Ctrl-] */
    while (!stop_requested) {
        struct pollfd fds[2] = {
            { .fd = pty, .events = POLLIN },
            { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
        };
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(pty, buf, sizeof(buf));
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n <= 0) /* EIO: xenconsoled closed it, the domain has gone */
                break;
            if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
                break;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n <= 0) {
                in_open = false; /* end of input: keep showing output */
                continue;
            }
            char *esc = memchr(buf, CONSOLE_ESCAPE, (size_t)n);
            size_t len = esc ? (size_t)(esc - buf) : (size_t)n;
            if (len && write_all(pty, buf, len) < 0)
                break;
            if (esc) {
                escape_at = len + 1;
                after_escape = (size_t)n - escape_at;
                break;
            }
        }
    }
    /* TCSADRAIN, not TCSAFLUSH: what was typed after Ctrl-] is for the
     * shell, and so are the bytes that came in the same read as Ctrl-]:
     * given back to the terminal's input as if typed again (TIOCSTI), once
     * its own settings are back. */
    if (raw)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
    for (size_t i = 0; i < after_escape; i++)
        if (ioctl(STDIN_FILENO, TIOCSTI, &buf[escape_at + i]) < 0)
            break;
    close(pty);
    return 0;
}
