/*
 * Typed access to parsed xl.cfg settings, with libxlu's conversion
 * rules (tools/libs/util/libxlu_cfg.c): a number may be written bare
 * or quoted and is read with strtol(text, .., 0), so "0x10" is 16 and
 * "010" is 8; a setting defined with '+=' cannot be read as a number;
 * a boolean is a number, non-zero meaning true.
 *
 * The cfg_get_* functions mark the setting used (see cfg_settings.h)
 * and return 1 when the key is set, 0 when it is not, and -1 with
 * "SOURCE:LINE: reason" in err when it has the wrong type. where, if
 * not NULL, receives the setting so later messages can cite its line.
 */
#ifndef XL_CFG_GET_H
#define XL_CFG_GET_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg_settings.h"

/* Marks key used and returns its setting, or NULL when it is not set. */
struct cfg_setting *cfg_take(struct cfg_settings *set, const char *key);

/* strtol(text, .., 0) with the whole text required to be the number.
 * Returns 0, -1 when it is not a number, -2 when it is out of range. */
int cfg_text_to_long(const char *text, long *out);

int cfg_get_string(struct cfg_settings *set, const char *key,
                   const char **out, const struct cfg_setting **where,
                   char *err, size_t errlen);
int cfg_get_long(struct cfg_settings *set, const char *key, long *out,
                 const struct cfg_setting **where, char *err, size_t errlen);
int cfg_get_bool(struct cfg_settings *set, const char *key, bool *out,
                 const struct cfg_setting **where, char *err, size_t errlen);
int cfg_get_list(struct cfg_settings *set, const char *key,
                 const struct cfg_value **out, const struct cfg_setting **where,
                 char *err, size_t errlen);

/*
 * A setting that may be a string or a list of strings (serial=,
 * usbdevice=, cpus=): *out is the setting's value, of either kind.
 * Lists holding lists are refused.
 */
int cfg_get_string_or_list(struct cfg_settings *set, const char *key,
                           const struct cfg_value **out,
                           const struct cfg_setting **where,
                           char *err, size_t errlen);

#endif
