/* A domain's configuration, kept while it exists (see domain_userdata.h). */
#include "domain_userdata.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_parse.h"
#include "dom0/lib/write_all.h"
#include "read_file.h"
#include "uuid.h"

#define KIND "basalt-config"

static void file_name(uint32_t domid, const uint8_t uuid[16], char *buf, size_t len)
{
    char u[UUID_STR_LEN];
    uuid_format(uuid, u);
    snprintf(buf, len, USERDATA_DIR "/userdata-d.%u.%s." KIND, domid, u);
}

int userdata_config_make(const char *path, const char *const *overrides, size_t n_overrides,
                         char **out, size_t *len, char *err, size_t errlen)
{
    uint8_t *text;
    size_t text_len;
    if (read_file(path, CFG_MAX_INPUT_SIZE, &text, &text_len, err, errlen))
        return -1;
    size_t total = strlen(path) + 1 + text_len + 1;
    for (size_t i = 0; i < n_overrides; i++)
        total += strlen(overrides[i]) + 1;
    char *buf = malloc(total), *at = buf;
    if (!buf || memchr(text, 0, text_len)) {
        snprintf(err, errlen, "%s: %s", path, buf ? "holds a NUL byte" : "out of memory");
        free(buf);
        free(text);
        return -1;
    }
    at = stpcpy(at, path) + 1;
    memcpy(at, text, text_len);
    at += text_len;
    *at++ = 0;
    for (size_t i = 0; i < n_overrides; i++)
        at = stpcpy(at, overrides[i]) + 1;
    free(text);
    *out = buf;
    *len = total;
    return 0;
}

int userdata_store(uint32_t domid, const uint8_t uuid[16], const void *buf, size_t len)
{
    char name[256], tmp[272];
    file_name(domid, uuid, name, sizeof(name));
    snprintf(tmp, sizeof(tmp), "%s.new", name);
    /* /var/lib/xen may not exist yet on a Dom0 that never ran Xen. */
    mkdir("/var/lib", 0755);
    mkdir(USERDATA_DIR, 0755);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = write_all(fd, buf, len) ? -errno : 0;
    if (close(fd) && !rc)
        rc = -errno;
    if (!rc && rename(tmp, name))
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

int userdata_load(uint32_t domid, const uint8_t uuid[16], char **buf, size_t *len)
{
    char name[256], why[384];
    file_name(domid, uuid, name, sizeof(name));
    if (access(name, F_OK))
        return -ENOENT;
    uint8_t *b;
    if (read_file(name, CFG_MAX_INPUT_SIZE + (1 << 20), &b, len, why, sizeof(why)))
        return -EIO;
    *buf = (char *)b;
    return 0;
}

void userdata_remove(uint32_t domid)
{
    char pattern[128];
    glob_t g;
    snprintf(pattern, sizeof(pattern), USERDATA_DIR "/userdata-d.%u.*." KIND, domid);
    if (glob(pattern, 0, NULL, &g))
        return;
    for (size_t i = 0; i < g.gl_pathc; i++)
        unlink(g.gl_pathv[i]);
    globfree(&g);
}
