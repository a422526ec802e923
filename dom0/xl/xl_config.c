/* The domain configuration with its source lines (see xl_config.h). */
#include "xl_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_error.h"
#include "cfg_parse.h"
#include "read_file.h"

int xl_config_parse_buffer(const char *name, const char *buf, size_t len,
                           const char *const *overrides, size_t n_overrides,
                           struct xl_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (domain_config_parse_buffer(name, buf, len, overrides, n_overrides, &c->dc, err, errlen))
        return -1;
    c->source = strdup(name);
    if (!c->source) {
        cfg_error_at(err, errlen, name, 0, "out of memory");
        domain_config_free(&c->dc);
        return -1;
    }
    /* The text again, as domain_config_parse_buffer read it, to keep the
     * settings' lines. */
    c->set = cfg_settings_new();
    if (!c->set) {
        cfg_error_at(err, errlen, name, 0, "out of memory");
        xl_config_free(c);
        return -1;
    }
    if (domain_config_parse_settings(c->set, name, buf, len, overrides, n_overrides, err,
                                     errlen)) {
        xl_config_free(c);
        return -1;
    }
    return 0;
}

int xl_config_load(const char *path, const char *const *overrides, size_t n_overrides,
                   struct xl_config *c, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    char why[512];

    memset(c, 0, sizeof(*c));
    if (read_file(path, CFG_MAX_INPUT_SIZE, &buf, &len, why, sizeof(why))) {
        /* read_file says "PATH: reason"; the parser's form is "PATH:0: reason". */
        const char *reason = why + strlen(path) + 2;
        cfg_error_at(err, errlen, path, 0, "cannot read: %s",
                     strlen(why) > strlen(path) + 2 ? reason : why);
        return -1;
    }
    int rc = xl_config_parse_buffer(path, (const char *)buf, len, overrides, n_overrides, c,
                                    err, errlen);
    free(buf);
    return rc;
}

void xl_config_free(struct xl_config *c)
{
    domain_config_free(&c->dc);
    if (c->set)
        cfg_settings_free(c->set);
    free(c->source);
    memset(c, 0, sizeof(*c));
}

void xl_config_where(const struct xl_config *c, const char *const *keys, const char **source,
                     unsigned *line)
{
    for (; *keys; keys++) {
        const struct cfg_setting *s = c->set ? cfg_settings_find(c->set, *keys) : NULL;
        if (s) {
            *source = s->source;
            *line = s->line;
            return;
        }
    }
    *source = c->source;
    *line = 0;
}
