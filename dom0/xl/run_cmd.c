/* Running a tool and capturing its output (see run_cmd.h). */
#include "run_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEARCH_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define OUTPUT_MAX (1u << 20)

int run_capture(char *const argv[], char **out)
{
    int p[2];
    *out = NULL;
    if (pipe2(p, O_CLOEXEC))
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0)
            dup2(in, STDIN_FILENO);
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        setenv("PATH", SEARCH_PATH, 1);
        setenv("LC_ALL", "C", 1);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    close(p[1]);
    size_t have = 0, cap = 4096;
    char *buf = malloc(cap);
    for (;;) {
        if (buf && have + 1 == cap && cap < OUTPUT_MAX) {
            char *b = realloc(buf, cap * 2);
            if (b) {
                buf = b;
                cap *= 2;
            }
        }
        char sink[4096];
        char *to = buf && have + 1 < cap ? buf + have : sink;
        size_t room = buf && have + 1 < cap ? cap - have - 1 : sizeof(sink);
        ssize_t n = read(p[0], to, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (to != sink)
            have += (size_t)n;
    }
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            free(buf);
            return -1;
        }
    if (buf) {
        while (have && (buf[have - 1] == '\n' || buf[have - 1] == '\r'))
            have--;
        buf[have] = '\0';
        *out = buf;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}
