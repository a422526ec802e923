/*
 * Disk specification strings (xl-disk-configuration(5)). The rules are
 * those of libxlu's flex scanner (tools/libs/util/libxlu_disk_l.l and
 * libxlu_disk.c), restated as a walk over comma-separated parameters:
 *
 *  - blanks before a parameter are skipped; "target=" takes the rest of
 *    the string (less one trailing comma), so it must come last;
 *  - "NAME:" at the start of a parameter is a deprecated prefix: raw:,
 *    qcow:, qcow2:, vhd: set the format; iscsi:, nbd:, enbd:, drbd: set
 *    script=block-NAME; tapdisk:, tap:, tap2:, aio:, ioemu:, file:, phy:
 *    are ignored. Any prefix means the next positional parameter is the
 *    vdev, not the format ("phy:/dev/vg/lv,xvda,w"). An unknown NAME: is
 *    an error unless a letter or digit follows (then it is text, like
 *    the "hdc:cdrom" vdev:devtype form);
 *  - positional parameters fill target, format, vdev, access in order;
 *    with an empty target, a "vdev:devtype" in the format position is
 *    xend's empty-CD-ROM form (",hdc:cdrom,r");
 *  - a string or enum may be given once (an empty string may be given
 *    again); flags and access= may be repeated.
 *
 * Afterwards: no format means raw; a CD-ROM is removable and read-only,
 * and without a target its format is "empty"; a vdev is required, and a
 * target too unless the device is removable. Beyond libxlu we also
 * refuse an empty vdev, an empty target on a fixed disk, and colo-port
 * values that are not a port number.
 */
#include "disk_spec.h"
#include "cfg_error.h"

#include <stdlib.h>
#include <string.h>

struct disk_parse {
    struct disk_spec *disk;
    bool format_known;
    bool backend_known;
    bool specification_known;
    bool access_positional_seen;
    bool had_prefix;
    char *why;
    size_t whylen;
};

const char *disk_format_name(enum disk_format format)
{
    switch (format) {
    case DISK_FORMAT_RAW: return "raw";
    case DISK_FORMAT_QCOW: return "qcow";
    case DISK_FORMAT_QCOW2: return "qcow2";
    case DISK_FORMAT_VHD: return "vhd";
    case DISK_FORMAT_QED: return "qed";
    case DISK_FORMAT_EMPTY: return "empty";
    }
    return "?";
}

static int disk_fail(struct disk_parse *dp, const char *what, const char *near)
{
    char q[CFG_QUOTE_BUF];

    if (near)
        cfg_error_set(dp->why, dp->whylen, "%s '%s'", what,
                      cfg_quote(near, q, sizeof(q)));
    else
        cfg_error_set(dp->why, dp->whylen, "%s", what);
    return -1;
}

static int disk_nomem(struct disk_parse *dp)
{
    return disk_fail(dp, "out of memory", NULL);
}

/* A string parameter: given once, except that an empty one may be
 * replaced. */
static int disk_save(struct disk_parse *dp, char **field, const char *value,
                     const char *respecified)
{
    char *copy;

    if (*field && **field)
        return disk_fail(dp, respecified, value);
    copy = strdup(value);
    if (!copy)
        return disk_nomem(dp);
    free(*field);
    *field = copy;
    return 0;
}

static int disk_set_format(struct disk_parse *dp, const char *value)
{
    static const struct { const char *name; enum disk_format format; } formats[] = {
        { "", DISK_FORMAT_RAW }, { "raw", DISK_FORMAT_RAW },
        { "qcow", DISK_FORMAT_QCOW }, { "qcow2", DISK_FORMAT_QCOW2 },
        { "vhd", DISK_FORMAT_VHD }, { "empty", DISK_FORMAT_EMPTY },
        { "qed", DISK_FORMAT_QED },
    };

    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strcmp(value, formats[i].name))
            continue;
        if (dp->format_known && dp->disk->format != formats[i].format)
            return disk_fail(dp, "format given twice, now as", value);
        dp->disk->format = formats[i].format;
        dp->format_known = true;
        return 0;
    }
    return disk_fail(dp, "unknown format", value);
}

static int disk_set_access(struct disk_parse *dp, const char *value)
{
    if (!strcmp(value, "r") || !strcmp(value, "ro"))
        dp->disk->readwrite = false;
    else if (!strcmp(value, "rw") || !strcmp(value, "w") || !*value)
        dp->disk->readwrite = true;
    else
        return disk_fail(dp, "unknown access mode (expected r, ro, w or rw)", value);
    return 0;
}

static int disk_set_backendtype(struct disk_parse *dp, const char *value)
{
    static const struct { const char *name; enum disk_backend backend; } types[] = {
        { "phy", DISK_BACKEND_PHY }, { "tap", DISK_BACKEND_TAP },
        { "qdisk", DISK_BACKEND_QDISK }, { "standalone", DISK_BACKEND_STANDALONE },
    };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(value, types[i].name))
            continue;
        if (dp->backend_known && dp->disk->backendtype != types[i].backend)
            return disk_fail(dp, "backendtype given twice, now as", value);
        dp->disk->backendtype = types[i].backend;
        dp->backend_known = true;
        return 0;
    }
    return disk_fail(dp, "unknown backendtype (expected phy, tap, qdisk or standalone)",
                     value);
}

static int disk_set_specification(struct disk_parse *dp, const char *value)
{
    enum disk_specification spec;

    if (!strcmp(value, "xen"))
        spec = DISK_SPECIFICATION_XEN;
    else if (!strcmp(value, "virtio"))
        spec = DISK_SPECIFICATION_VIRTIO;
    else
        return disk_fail(dp, "unknown specification (expected xen or virtio)", value);
    if (dp->specification_known && dp->disk->specification != spec)
        return disk_fail(dp, "specification given twice, now as", value);
    dp->disk->specification = spec;
    dp->specification_known = true;
    return 0;
}

static int disk_set_devtype(struct disk_parse *dp, const char *value)
{
    if (!strcmp(value, "cdrom"))
        dp->disk->is_cdrom = true;
    else if (!strcmp(value, "disk"))
        dp->disk->is_cdrom = false;
    else
        return disk_fail(dp, "unknown devtype (expected cdrom or disk)", value);
    return 0;
}

static int disk_set_colo_port(struct disk_parse *dp, const char *value)
{
    long port = 0;

    for (const char *p = value; *p; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return disk_fail(dp, "invalid colo-port", value);
        port = port * 10 + (*p - '0');
    }
    if (port < 1 || port > 65535)
        return disk_fail(dp, "invalid colo-port", value);
    dp->disk->colo_port = (int)port;
    return 0;
}

/* "vdev:devtype", the deprecated way to mark a CD-ROM. Returns 1 when
 * text had that form, 0 when it has no colon, -1 on error. */
static int disk_vdev_devtype(struct disk_parse *dp, char *text)
{
    char *colon = strrchr(text, ':');

    if (!colon)
        return 0;
    *colon = '\0';
    if (disk_save(dp, &dp->disk->vdev, text, "vdev given twice, now as"))
        return -1;
    if (!strcmp(colon + 1, "cdrom"))
        dp->disk->is_cdrom = true;
    else if (!strcmp(colon + 1, "disk"))
        dp->disk->is_cdrom = false;
    else
        return disk_fail(dp, "unknown device type after ':' (expected cdrom or disk)",
                         colon + 1);
    return 1;
}

static int disk_positional(struct disk_parse *dp, char *text)
{
    struct disk_spec *d = dp->disk;
    int rc;

    if (!d->target)
        return disk_save(dp, &d->target, text, "target given twice, now as");
    if (!dp->had_prefix && !dp->format_known) {
        if (!*d->target) {
            rc = disk_vdev_devtype(dp, text);
            if (rc) {
                d->format = DISK_FORMAT_EMPTY;
                dp->format_known = true;
                return rc < 0 ? -1 : 0;
            }
        }
        return disk_set_format(dp, text);
    }
    if (!d->vdev) {
        rc = disk_vdev_devtype(dp, text);
        if (rc)
            return rc < 0 ? -1 : 0;
        return disk_save(dp, &d->vdev, text, "vdev given twice, now as");
    }
    if (!dp->access_positional_seen) {
        dp->access_positional_seen = true;
        return disk_set_access(dp, text);
    }
    return disk_fail(dp, "too many positional parameters, at", text);
}

static int disk_flag(struct disk_parse *dp, const char *word)
{
    struct disk_spec *d = dp->disk;

    if (!strcmp(word, "cdrom"))
        d->is_cdrom = true;
    else if (!strcmp(word, "direct-io-safe"))
        d->direct_io_safe = true;
    else if (!strcmp(word, "discard"))
        d->discard = TRISTATE_TRUE;
    else if (!strcmp(word, "no-discard"))
        d->discard = TRISTATE_FALSE;
    else if (!strcmp(word, "colo"))
        d->colo = TRISTATE_TRUE;
    else if (!strcmp(word, "no-colo"))
        d->colo = TRISTATE_FALSE;
    else if (!strcmp(word, "trusted"))
        d->trusted = TRISTATE_TRUE;
    else if (!strcmp(word, "untrusted"))
        d->trusted = TRISTATE_FALSE;
    else
        return 0;
    return 1;
}

static bool disk_is_param_name(const char *name)
{
    if (*name < 'a' || *name > 'z')
        return false;
    for (; *name; name++)
        if (!((*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9') ||
              *name == '-' || *name == '_'))
            return false;
    return true;
}

static int disk_keyword(struct disk_parse *dp, char *key, char *value)
{
    struct disk_spec *d = dp->disk;

    if (!strcmp(key, "format"))
        return disk_set_format(dp, value);
    if (!strcmp(key, "devtype"))
        return disk_set_devtype(dp, value);
    if (!strcmp(key, "access"))
        return disk_set_access(dp, value);
    if (!strcmp(key, "backend"))
        return disk_save(dp, &d->backend_domain, value, "backend given twice, now as");
    if (!strcmp(key, "backendtype"))
        return disk_set_backendtype(dp, value);
    if (!strcmp(key, "specification"))
        return disk_set_specification(dp, value);
    if (!strcmp(key, "vdev"))
        return disk_save(dp, &d->vdev, value, "vdev given twice, now as");
    if (!strcmp(key, "script"))
        return disk_save(dp, &d->script, value, "script given twice, now as");
    if (!strcmp(key, "colo-host"))
        return disk_save(dp, &d->colo_host, value, "colo-host given twice, now as");
    if (!strcmp(key, "colo-port"))
        return disk_set_colo_port(dp, value);
    if (!strcmp(key, "colo-export"))
        return disk_save(dp, &d->colo_export, value, "colo-export given twice, now as");
    if (!strcmp(key, "active-disk"))
        return disk_save(dp, &d->active_disk, value, "active-disk given twice, now as");
    if (!strcmp(key, "hidden-disk"))
        return disk_save(dp, &d->hidden_disk, value, "hidden-disk given twice, now as");
    if (!strcmp(key, "grant_usage")) {
        if (!strcmp(value, "1"))
            d->grant_usage = TRISTATE_TRUE;
        else if (!strcmp(value, "0"))
            d->grant_usage = TRISTATE_FALSE;
        else
            return disk_fail(dp, "grant_usage must be 0 or 1, not", value);
        return 0;
    }
    if (disk_is_param_name(key))
        return disk_fail(dp, "unknown parameter", key);
    value--;
    value[0] = '=';             /* show the parameter as written */
    return disk_fail(dp, "bad disk syntax near", key);
}

/* The deprecated "NAME:" prefixes. Returns the length consumed, 0 when
 * p does not start with one, -1 on error. */
static int disk_prefix(struct disk_parse *dp, const char *p)
{
    static const char *const ignored[] = {
        "tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy",
    };
    static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd" };
    static const char *const scripts[] = { "iscsi", "nbd", "enbd", "drbd" };
    char name[16];
    size_t n = 0;

    if (*p < 'a' || *p > 'z')
        return 0;
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9'))
        n++;
    if (p[n] != ':')
        return 0;
    if (n < sizeof(name)) {
        memcpy(name, p, n);
        name[n] = '\0';
        for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
            if (!strcmp(name, ignored[i]))
                goto known;
        for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
            if (!strcmp(name, formats[i])) {
                if (disk_set_format(dp, name))
                    return -1;
                goto known;
            }
        for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
            if (!strcmp(name, scripts[i])) {
                char script[32] = "block-";
                strcat(script, name);
                if (disk_save(dp, &dp->disk->script, script,
                              "script given twice, now as"))
                    return -1;
                goto known;
            }
    }
    /* "hdc:cdrom" and similar are text, not a prefix. */
    if ((p[n + 1] >= 'a' && p[n + 1] <= 'z') || (p[n + 1] >= '0' && p[n + 1] <= '9'))
        return 0;
    {
        char shown[CFG_QUOTE_BUF];
        char raw[CFG_QUOTE_MAX + 2];
        size_t len = n + 1 < sizeof(raw) - 1 ? n + 1 : sizeof(raw) - 1;
        memcpy(raw, p, len);
        raw[len] = '\0';
        cfg_error_set(dp->why, dp->whylen, "unknown deprecated disk prefix '%s'",
                      cfg_quote(raw, shown, sizeof(shown)));
        return -1;
    }
known:
    dp->had_prefix = true;
    return (int)n + 1;
}

static int disk_walk(struct disk_parse *dp, char *s)
{
    while (*s) {
        char *end, *eq;
        int n;

        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        if (!strncmp(s, "target=", 7)) {
            char *value = s + 7;
            size_t len = strlen(value);
            if (len && value[len - 1] == ',')
                value[len - 1] = '\0';
            return disk_save(dp, &dp->disk->target, value,
                             "target given twice, now as");
        }
        n = disk_prefix(dp, s);
        if (n < 0)
            return -1;
        if (n > 0) {
            s += n;
            continue;
        }
        end = strchr(s, ',');
        if (end)
            *end = '\0';
        eq = strchr(s, '=');
        if (eq) {
            *eq = '\0';
            if (disk_keyword(dp, s, eq + 1))
                return -1;
        } else if (!disk_flag(dp, s) && disk_positional(dp, s)) {
            return -1;
        }
        if (!end)
            break;
        s = end + 1;
    }
    return 0;
}

static int disk_finish(struct disk_parse *dp)
{
    struct disk_spec *d = dp->disk;

    if (!dp->format_known)
        d->format = DISK_FORMAT_RAW;
    if (d->target && !*d->target) {
        free(d->target);
        d->target = NULL;
    }
    if (d->is_cdrom) {
        d->removable = true;
        d->readwrite = false;
        if (!d->target)
            d->format = DISK_FORMAT_EMPTY;
    }
    if (!d->vdev || !*d->vdev)
        return disk_fail(dp, "no vdev specified", NULL);
    if (!d->target && !d->removable)
        return disk_fail(dp, "no target specified (and the device is not a CD-ROM)",
                         NULL);
    return 0;
}

int disk_spec_parse(const char *text, struct disk_spec *disk,
                    char *why, size_t whylen)
{
    struct disk_parse dp = { .disk = disk, .why = why, .whylen = whylen };
    char *copy;
    int rc;

    memset(disk, 0, sizeof(*disk));
    disk->readwrite = true;
    copy = strdup(text);
    if (!copy)
        return disk_nomem(&dp);
    rc = disk_walk(&dp, copy);
    free(copy);
    if (!rc)
        rc = disk_finish(&dp);
    if (rc)
        disk_spec_free(disk);
    return rc;
}

void disk_spec_free(struct disk_spec *disk)
{
    free(disk->target);
    free(disk->vdev);
    free(disk->backend_domain);
    free(disk->script);
    free(disk->colo_host);
    free(disk->colo_export);
    free(disk->active_disk);
    free(disk->hidden_disk);
    memset(disk, 0, sizeof(*disk));
}
