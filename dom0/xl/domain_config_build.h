/* Internal: the steps that turn parsed settings into a domain_config. */
#ifndef XL_DOMAIN_CONFIG_BUILD_H
#define XL_DOMAIN_CONFIG_BUILD_H

#include <stddef.h>

#include "cfg_settings.h"
#include "domain_config.h"

struct dc_build {
    struct cfg_settings *set;
    struct domain_config *cfg;
    const char *source;         /* the file's name, for line-0 messages */
    char *err;
    size_t errlen;
};

/* Each step returns 0, or -1 with "SOURCE:LINE: reason" in b->err. */
int dc_build_general(struct dc_build *b);     /* name, type, uuid, kernel, cmdline, on_* */
int dc_build_resources(struct dc_build *b);   /* memory, vcpus, cpus, scheduler */
int dc_build_devices(struct dc_build *b);     /* disk, vif */
int dc_build_hvm(struct dc_build *b);         /* acpi, vnc, sdl, serial, boot, usb */

/* Records "SOURCE:LINE: text" as a warning for the user. */
int dc_warn(struct dc_build *b, const struct cfg_setting *where, const char *text);

/* Reports an allocation failure at where (or line 0). Returns -1. */
int dc_nomem(struct dc_build *b, const struct cfg_setting *where);

/* A copy of text in *out (replacing nothing). 0, or -1 via dc_nomem. */
int dc_strdup(struct dc_build *b, const struct cfg_setting *where,
              const char *text, char **out);

/* If key is set, a copy of its string value in *out (replacing nothing).
 * 0 whether or not it is set, or -1 with the reason in b->err. */
int dc_copy_string(struct dc_build *b, const char *key, char **out);

#endif
