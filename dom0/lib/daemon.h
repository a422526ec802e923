/* A Dom0 daemon's start-up: going into the background only once it is
 * ready, its pid file, and signals delivered as bytes on a pipe that the
 * poll() loop watches (so handlers never touch the daemon's state). */
#ifndef DOM0_LIB_DAEMON_H
#define DOM0_LIB_DAEMON_H

/* Forks. The parent exits only when the child calls daemon_ready() (0) or
 * exits without doing so (1), so whoever started the daemon may use it,
 * and read its pid file, at once. The child starts a new session in "/".
 * Returns the child's handle for daemon_ready(), or -1 (errno set). */
int daemon_fork(void);
/* In the child of daemon_fork(): stdin, stdout and stderr to /dev/null,
 * logging to syslog, and the parent told to exit. */
void daemon_ready(int report_fd);

/* Writes getpid() to `path`. 0, or -1 with errno set. */
int daemon_write_pid_file(const char *path);

/* Catches the signals in `sigs` (0-terminated) and ignores SIGPIPE, so a
 * peer going away is an error return, not death. 0, or -1 with errno
 * set. */
int daemon_signals_init(const int *sigs);
/* Readable when a signal was caught. */
int daemon_signal_fd(void);
/* The next signal caught, in order, or 0 when there is none. */
int daemon_signal_next(void);
void daemon_signals_close(void);

#endif
