/*
 * Entry points: read an xl.cfg file, parse it and any command-line
 * overrides into one set of settings, then build the domain_config in
 * steps (domain_config_*.c) and note which settings nothing read.
 */
#include "domain_config.h"
#include "domain_config_build.h"
#include "cfg_error.h"
#include "cfg_get.h"
#include "cfg_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *domain_type_name(enum domain_type type)
{
    switch (type) {
    case DOMAIN_TYPE_PV: return "pv";
    case DOMAIN_TYPE_PVH: return "pvh";
    case DOMAIN_TYPE_HVM: return "hvm";
    }
    return "?";
}

const char *shutdown_action_name(enum shutdown_action action)
{
    switch (action) {
    case SHUTDOWN_ACTION_DESTROY: return "destroy";
    case SHUTDOWN_ACTION_RESTART: return "restart";
    case SHUTDOWN_ACTION_RENAME_RESTART: return "rename-restart";
    case SHUTDOWN_ACTION_PRESERVE: return "preserve";
    case SHUTDOWN_ACTION_COREDUMP_DESTROY: return "coredump-destroy";
    case SHUTDOWN_ACTION_COREDUMP_RESTART: return "coredump-restart";
    case SHUTDOWN_ACTION_SOFT_RESET: return "soft-reset";
    }
    return "?";
}

int dc_nomem(struct dc_build *b, const struct cfg_setting *where)
{
    cfg_error_at(b->err, b->errlen, where ? where->source : b->source,
                 where ? where->line : 0, "out of memory");
    return -1;
}

int dc_strdup(struct dc_build *b, const struct cfg_setting *where,
              const char *text, char **out)
{
    *out = strdup(text);
    return *out ? 0 : dc_nomem(b, where);
}

int dc_copy_string(struct dc_build *b, const char *key, char **out)
{
    const struct cfg_setting *at = NULL;
    const char *text;
    int rc = cfg_get_string(b->set, key, &text, &at, b->err, b->errlen);

    if (rc <= 0)
        return rc;
    return dc_strdup(b, at, text, out);
}

int dc_warn(struct dc_build *b, const struct cfg_setting *where, const char *text)
{
    if (strlist_addf(&b->cfg->warnings, "%s:%u: %s", where->source, where->line, text))
        return dc_nomem(b, where);
    return 0;
}

static int collect_ignored_keys(struct dc_build *b)
{
    struct cfg_settings *set = b->set;
    struct domain_config *cfg = b->cfg;
    size_t n = 0;

    for (size_t i = 0; i < set->count; i++)
        n += !set->items[i]->used;
    if (!n)
        return 0;
    cfg->ignored = calloc(n, sizeof(*cfg->ignored));
    if (!cfg->ignored)
        return dc_nomem(b, NULL);
    for (size_t i = 0; i < set->count; i++) {
        const struct cfg_setting *s = set->items[i];
        struct domain_config_ignored_key *k = &cfg->ignored[cfg->n_ignored];

        if (s->used)
            continue;
        k->key = strdup(s->key);
        k->source = strdup(s->source);
        k->line = s->line;
        cfg->n_ignored++;
        if (!k->key || !k->source)
            return dc_nomem(b, NULL);
    }
    return 0;
}

/* xl create appends its KEY=VALUE arguments to the file text, one per
 * line; parsing them as one more input named "command line" gives the
 * same result, with each override's position as its line number. */
static int parse_overrides(struct cfg_settings *set,
                           const char *const *overrides, size_t n,
                           char *err, size_t errlen)
{
    size_t total = 0, at = 0;
    char *text;
    int rc;

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(overrides[i]);
        if (len > CFG_MAX_INPUT_SIZE || total > CFG_MAX_INPUT_SIZE) {
            cfg_error_at(err, errlen, DOMAIN_OVERRIDES_SOURCE, 0,
                         "too large (the limit is %d bytes)", CFG_MAX_INPUT_SIZE);
            return -1;
        }
        total += len + 1;
    }
    text = malloc(total + 1);
    if (!text) {
        cfg_error_at(err, errlen, DOMAIN_OVERRIDES_SOURCE, 0, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(overrides[i]);
        memcpy(text + at, overrides[i], len);
        at += len;
        text[at++] = '\n';
    }
    rc = cfg_parse(set, DOMAIN_OVERRIDES_SOURCE, text, at, err, errlen);
    free(text);
    return rc;
}

int domain_config_parse_settings(struct cfg_settings *set, const char *name, const char *buf,
                                 size_t len, const char *const *overrides, size_t n_overrides,
                                 char *err, size_t errlen)
{
    if (cfg_parse(set, name, buf, len, err, errlen))
        return -1;
    if (n_overrides && parse_overrides(set, overrides, n_overrides, err, errlen))
        return -1;
    return 0;
}

int domain_config_parse_buffer(const char *name, const char *buf, size_t len,
                               const char *const *overrides, size_t n_overrides,
                               struct domain_config *cfg,
                               char *err, size_t errlen)
{
    struct cfg_settings *set;
    struct dc_build b;
    int rc = -1;

    memset(cfg, 0, sizeof(*cfg));
    set = cfg_settings_new();
    if (!set) {
        cfg_error_at(err, errlen, name, 0, "out of memory");
        return -1;
    }
    if (domain_config_parse_settings(set, name, buf, len, overrides, n_overrides, err, errlen))
        goto out;
    b = (struct dc_build){ .set = set, .cfg = cfg, .source = name,
                           .err = err, .errlen = errlen };
    if (dc_build_general(&b) || dc_build_resources(&b) || dc_build_devices(&b) ||
        dc_build_hvm(&b) || collect_ignored_keys(&b))
        goto out;
    rc = 0;
out:
    cfg_settings_free(set);
    if (rc)
        domain_config_free(cfg);
    return rc;
}

/* Reads at most CFG_MAX_INPUT_SIZE + 1 bytes, enough to tell a file
 * that is too large without reading all of it. */
static int read_config_file(const char *path, char **out, size_t *outlen,
                            char *err, size_t errlen)
{
    size_t cap = CFG_MAX_INPUT_SIZE + 1, len = 0;
    char *buf;
    FILE *f = fopen(path, "rb");

    if (!f) {
        cfg_error_at(err, errlen, path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    buf = malloc(cap);
    if (!buf) {
        fclose(f);
        cfg_error_at(err, errlen, path, 0, "out of memory");
        return -1;
    }
    while (len < cap) {
        size_t n = fread(buf + len, 1, cap - len, f);
        if (!n)
            break;
        len += n;
    }
    if (ferror(f)) {
        cfg_error_at(err, errlen, path, 0, "cannot read: %s", strerror(errno));
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    if (len > CFG_MAX_INPUT_SIZE) {
        cfg_error_at(err, errlen, path, 0,
                     "too large (more than %d bytes)", CFG_MAX_INPUT_SIZE);
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = len;
    return 0;
}

int domain_config_load_with_overrides(const char *path,
                                      const char *const *overrides,
                                      size_t n_overrides,
                                      struct domain_config *cfg,
                                      char *err, size_t errlen)
{
    char *buf;
    size_t len;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    if (read_config_file(path, &buf, &len, err, errlen))
        return -1;
    rc = domain_config_parse_buffer(path, buf, len, overrides, n_overrides,
                                    cfg, err, errlen);
    free(buf);
    return rc;
}

int domain_config_load(const char *path, struct domain_config *cfg,
                       char *err, size_t errlen)
{
    return domain_config_load_with_overrides(path, NULL, 0, cfg, err, errlen);
}

void domain_config_free(struct domain_config *cfg)
{
    free(cfg->name);
    free(cfg->kernel);
    free(cfg->ramdisk);
    free(cfg->cmdline);
    free(cfg->cpus.maps);
    for (size_t i = 0; i < cfg->n_disks; i++)
        disk_spec_free(&cfg->disks[i]);
    free(cfg->disks);
    for (size_t i = 0; i < cfg->n_vifs; i++)
        vif_spec_free(&cfg->vifs[i]);
    free(cfg->vifs);
    free(cfg->hvm.vnclisten);
    free(cfg->hvm.vncpasswd);
    strlist_free(&cfg->hvm.serial);
    free(cfg->hvm.boot);
    strlist_free(&cfg->hvm.usbdevice);
    strlist_free(&cfg->warnings);
    for (size_t i = 0; i < cfg->n_ignored; i++) {
        free(cfg->ignored[i].key);
        free(cfg->ignored[i].source);
    }
    free(cfg->ignored);
    memset(cfg, 0, sizeof(*cfg));
}
