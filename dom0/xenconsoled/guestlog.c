#include "guestlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dom0/lib/log.h"
#include "dom0/lib/mem.h"
#include "dom0/lib/write_all.h"

#define NAME_MAX_CHARS 200

static bool name_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("._+@:=-", c) != NULL;
}

void guestlog_file_name(char *out, size_t len, const char *name, unsigned domid)
{
    char safe[NAME_MAX_CHARS + 1];
    size_t i;

    for (i = 0; name && name[i] && i < NAME_MAX_CHARS; i++)
        safe[i] = name_char_ok((unsigned char)name[i]) ? name[i] : '_';
    safe[i] = '\0';
    if (safe[0] == '.')
        safe[0] = '_';
    if (safe[0])
        snprintf(out, len, "guest-%s.log", safe);
    else
        snprintf(out, len, "guest-domain-%u.log", domid);
}

/* mkdir -p: the log directory may not exist in a minimal initramfs. */
static int make_dirs(const char *dir)
{
    char *p = mem_strdup(dir), *s;
    int rc = 0;

    for (s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;

            *s = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                rc = -errno;
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    mem_free(p);
    return rc;
}

static int open_path(struct guestlog *gl)
{
    gl->fd = open(gl->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    if (gl->fd < 0)
        return -errno;
    gl->line_start = true;
    gl->failed = false;
    return 0;
}

int guestlog_open(struct guestlog *gl, const char *dir, const char *name, unsigned domid)
{
    char file[NAME_MAX_CHARS + 32];
    int rc;

    guestlog_close(gl);
    guestlog_file_name(file, sizeof(file), name, domid);
    gl->path = mem_asprintf("%s/%s", dir, file);
    rc = make_dirs(dir);
    if (rc == 0)
        rc = open_path(gl);
    if (rc < 0) {
        log_msg(LOG_LVL_ERR, "cannot open log %s: %s", gl->path, strerror(-rc));
        guestlog_close(gl);
    }
    return rc;
}

static int write_stamped(struct guestlog *gl, const char *buf, size_t n)
{
    char ts[40];
    size_t tslen = 0;
    time_t now = time(NULL);
    struct tm tm;

    if (localtime_r(&now, &tm))
        tslen = strftime(ts, sizeof(ts), "[%Y-%m-%d %H:%M:%S] ", &tm);
    while (n) {
        const char *nl = memchr(buf, '\n', n);
        size_t len = nl ? (size_t)(nl - buf) + 1 : n;

        if (gl->line_start && write_all(gl->fd, ts, tslen) < 0)
            return -1;
        if (write_all(gl->fd, buf, len) < 0)
            return -1;
        gl->line_start = nl != NULL;
        buf += len;
        n -= len;
    }
    return 0;
}

void guestlog_write(struct guestlog *gl, const char *buf, size_t n, bool timestamps)
{
    int rc;

    if (gl->fd < 0 || !n)
        return;
    rc = timestamps ? write_stamped(gl, buf, n) : write_all(gl->fd, buf, n);
    /* A full disk must not stop the console; say so once per file. */
    if (rc < 0 && !gl->failed) {
        gl->failed = true;
        log_msg(LOG_LVL_ERR, "write to %s failed: %s", gl->path, strerror(errno));
    }
}

int guestlog_reopen(struct guestlog *gl)
{
    int rc;

    if (!gl->path)
        return 0;
    if (gl->fd >= 0)
        close(gl->fd);
    rc = open_path(gl);
    if (rc < 0)
        log_msg(LOG_LVL_ERR, "cannot reopen log %s: %s", gl->path, strerror(-rc));
    return rc;
}

void guestlog_close(struct guestlog *gl)
{
    if (gl->fd >= 0)
        close(gl->fd);
    gl->fd = -1;
    mem_free(gl->path);
    gl->path = NULL;
    gl->line_start = true;
    gl->failed = false;
}
