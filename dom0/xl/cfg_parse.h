/*
 * xl.cfg parser: turns the text of a domain configuration file into
 * cfg_settings, accepting the language of Xen's libxlu
 * (tools/libs/util/libxlu_cfg_y.y):
 *
 *   file       := { [assignment] (NEWLINE | ';') } [assignment]
 *   assignment := NAME ('=' | '+=') value
 *   value      := STRING | NUMBER | '[' {NEWLINE} [items] ']'
 *   items      := value {NEWLINE} { ',' {NEWLINE} value {NEWLINE} }
 *                 [ ',' {NEWLINE} ]
 *
 * So lists nest, may span lines and may end with a comma; settings are
 * separated by newlines or ';'. Numbers stay text until a consumer asks
 * for a number (cfg_get.h). Parsing stops at the first error.
 */
#ifndef XL_CFG_PARSE_H
#define XL_CFG_PARSE_H

#include <stddef.h>

#include "cfg_settings.h"

/* Bounds that keep memory and recursion finite on any input. */
#define CFG_MAX_INPUT_SIZE (1024 * 1024)
#define CFG_MAX_LIST_DEPTH 16

/*
 * Parses buf (len bytes, need not be NUL-terminated) and adds its
 * settings to set after any already there, so a second call overrides
 * or appends to the first one's settings, as xl's command-line
 * KEY=VALUE arguments do. source names the input in messages.
 * Returns 0, or -1 with "SOURCE:LINE: reason" in err.
 */
int cfg_parse(struct cfg_settings *set, const char *source,
              const char *buf, size_t len, char *err, size_t errlen);

#endif
