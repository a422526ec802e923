/*
 * A domain configuration as `xl create` uses it: the typed domain_config
 * (domain_config.h) plus the same text's settings, kept only so that
 * checks made after parsing (Basalt's limits, the kernel file, the memory
 * layout) can still report "FILE:LINE: reason".
 */
#ifndef XL_XL_CONFIG_H
#define XL_XL_CONFIG_H

#include <stddef.h>

#include "cfg_settings.h"
#include "domain_config.h"

struct xl_config {
    struct domain_config dc;
    struct cfg_settings *set;   /* for xl_config_where() only */
    char *source;               /* the file's name */
};

/* Reads path and applies the KEY=VALUE overrides. Returns 0, or -1 with
 * "FILE:LINE: reason" in err and nothing to free. */
int xl_config_load(const char *path, const char *const *overrides, size_t n_overrides,
                   struct xl_config *c, char *err, size_t errlen);

/* The same from text in memory; name is used in messages. */
int xl_config_parse_buffer(const char *name, const char *buf, size_t len,
                           const char *const *overrides, size_t n_overrides,
                           struct xl_config *c, char *err, size_t errlen);

void xl_config_free(struct xl_config *c);

/*
 * Where the first of the keys (a NULL-terminated list) that is set was
 * (last) defined; the file and line 0 if none is.
 */
void xl_config_where(const struct xl_config *c, const char *const *keys, const char **source,
                     unsigned *line);

#endif
