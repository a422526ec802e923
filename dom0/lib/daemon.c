#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int signal_pipe[2] = { -1, -1 };

int daemon_fork(void)
{
    int report[2];
    pid_t pid;
    char c;

    if (pipe2(report, O_CLOEXEC) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        close(report[1]);
        _exit(read(report[0], &c, 1) == 1 ? 0 : 1);
    }
    close(report[0]);
    setsid();
    if (chdir("/") < 0) {
        close(report[1]);
        return -1;
    }
    return report[1];
}

void daemon_ready(int report_fd)
{
    int fd = open("/dev/null", O_RDWR);

    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    log_use_syslog(true);
    (void)!write(report_fd, "", 1);
    close(report_fd);
}

int daemon_write_pid_file(const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f);
}

static void on_signal(int sig)
{
    char c = (char)sig;
    int saved = errno;

    (void)!write(signal_pipe[1], &c, 1);
    errno = saved;
}

int daemon_signals_init(const int *sigs)
{
    struct sigaction sa;

    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (; *sigs; sigs++)
        sigaction(*sigs, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int daemon_signal_fd(void)
{
    return signal_pipe[0];
}

int daemon_signal_next(void)
{
    unsigned char c;

    return read(signal_pipe[0], &c, 1) == 1 ? c : 0;
}

void daemon_signals_close(void)
{
    if (signal_pipe[0] >= 0)
        close(signal_pipe[0]);
    if (signal_pipe[1] >= 0)
        close(signal_pipe[1]);
    signal_pipe[0] = signal_pipe[1] = -1;
}
