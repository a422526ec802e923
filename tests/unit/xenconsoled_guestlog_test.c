/* xenconsoled's per-domain log files: names made safe from whatever the
 * toolstack wrote as the domain's name, the log directory created on
 * demand, append mode, "[date time] " stamps at line starts (also across
 * writes that split lines), reopening after logrotate, and a failing disk
 * that must not stop the console. Everything allocated is freed. */
#include "dom0/xenconsoled/guestlog.c"
#include "dom0/lib/log.c"
#include "dom0/lib/mem.c"
#include "dom0/lib/write_all.c"

#include <regex.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tests/lib/tap.h"

static char tmpdir[] = "/tmp/xenconsoled-guestlog-XXXXXX";

static char *slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "rb");
    size_t n = 0;

    buf[0] = '\0';
    if (f) {
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

static void test_names(void)
{
    char out[300], longname[400];

    guestlog_file_name(out, sizeof(out), "debian-12", 5);
    CHECK("plain name", !strcmp(out, "guest-debian-12.log"), "%s", out);
    guestlog_file_name(out, sizeof(out), "../../etc/passwd", 5);
    CHECK("path separators and a leading dot neutralised",
          !strcmp(out, "guest-_._.._etc_passwd.log") && !strchr(out, '/'), "%s", out);
    guestlog_file_name(out, sizeof(out), "a b\n\x01\xff", 5);
    CHECK("spaces, control and non-ASCII bytes become '_'", !strcmp(out, "guest-a_b___.log"),
          "%s", out);
    guestlog_file_name(out, sizeof(out), NULL, 7);
    CHECK("no name: by domid", !strcmp(out, "guest-domain-7.log"), "%s", out);
    guestlog_file_name(out, sizeof(out), "", 8);
    CHECK("empty name: by domid", !strcmp(out, "guest-domain-8.log"), "%s", out);
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    guestlog_file_name(out, sizeof(out), longname, 9);
    CHECK("long names cut at 200 characters", strlen(out) == strlen("guest-.log") + 200, "%zu",
          strlen(out));
}

static void test_plain(void)
{
    struct guestlog gl = GUESTLOG_INIT;
    char dir[256], path[300];
    int rc;

    snprintf(dir, sizeof(dir), "%s/var/log/xen/console", tmpdir);
    rc = guestlog_open(&gl, dir, "vm1", 1);
    CHECK("open creates the missing log directories", rc == 0 && gl.fd >= 0, "rc %d", rc);
    guestlog_write(&gl, "boot\r\n", 6, false);
    guestlog_write(&gl, "\0\x01\xfe", 3, false);
    snprintf(path, sizeof(path), "%s/guest-vm1.log", dir);
    CHECK("bytes written unchanged", !memcmp(slurp(path), "boot\r\n\0\x01\xfe", 9) &&
          gl.path && !strcmp(gl.path, path), "%s", slurp(path));
    guestlog_close(&gl);
    rc = guestlog_open(&gl, dir, "vm1", 1);
    guestlog_write(&gl, "more\n", 5, false);
    {
        struct stat st;

        stat(path, &st);
        CHECK("reopening the same name appends", rc == 0 && st.st_size == 14, "size %lld",
              (long long)st.st_size);
        CHECK("file mode 0644", (st.st_mode & 0777) == 0644, "%o", st.st_mode & 0777);
    }

    snprintf(path, sizeof(path), "%s/guest-vm1.log.1", dir);
    rename(gl.path, path);
    rc = guestlog_reopen(&gl);
    guestlog_write(&gl, "after\n", 6, false);
    CHECK("reopen after rotation starts a new file", rc == 0 && !strcmp(slurp(gl.path), "after\n"),
          "%s", slurp(gl.path));
    {
        struct stat st;

        CHECK("...and the rotated file keeps the old lines",
              stat(path, &st) == 0 && st.st_size == 14, "%s", slurp(path));
    }

    /* A disk that fills up: writes fail, the console must go on. */
    {
        int full = open("/dev/full", O_WRONLY);

        if (full >= 0) {
            dup2(full, gl.fd);
            close(full);
            guestlog_write(&gl, "lost\n", 5, false);
            guestlog_write(&gl, "lost\n", 5, false);
            CHECK("write failure noted once, no crash", gl.failed, "not noted");
        } else {
            CHECK("write failure noted once, no crash", false, "no /dev/full");
        }
    }
    guestlog_close(&gl);
    CHECK("closed", gl.fd < 0 && !gl.path, "still open");

    snprintf(path, sizeof(path), "%s/not-a-dir", tmpdir);
    fclose(fopen(path, "w"));
    rc = guestlog_open(&gl, path, "vm2", 2);
    CHECK("unusable log directory: error, log stays closed", rc < 0 && gl.fd < 0 && !gl.path,
          "rc %d", rc);
}

static void test_timestamps(void)
{
    struct guestlog gl = GUESTLOG_INIT;
    regex_t re;
    char *content;
    int rc;

    rc = guestlog_open(&gl, tmpdir, "stamped", 3);
    guestlog_write(&gl, "first line\nsec", 14, true);
    guestlog_write(&gl, "ond line\n", 9, true);
    guestlog_write(&gl, "\n", 1, true);
    guestlog_write(&gl, "tail", 4, true);
    content = slurp(gl.path);
    regcomp(&re,
            "^\\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\] first line\n"
            "\\[[^]]*\\] second line\n"
            "\\[[^]]*\\] \n"
            "\\[[^]]*\\] tail$", REG_EXTENDED);
    CHECK("a stamp starts every line, also lines split across writes",
          rc == 0 && regexec(&re, content, 0, NULL, 0) == 0, "%s", content);
    regfree(&re);
    guestlog_close(&gl);
}

int main(void)
{
    TAP_PLAN(17);
    struct mem_stats m;
    char cmd[300];

    if (!mkdtemp(tmpdir)) {
        printf("not ok - mkdtemp\n");
        return 1;
    }
    test_names();
    test_plain();
    test_timestamps();
    mem_get_stats(&m);
    CHECK("no allocation left", m.blocks == 0 && m.bytes == 0, "%zu blocks", m.blocks);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    TAP_EXIT();
}
