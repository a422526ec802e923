/* Domain IDs written as text: in xenstore paths, in requests to
 * xenstored, on xl's command line. */
#ifndef DOM0_LIB_DOMID_H
#define DOM0_LIB_DOMID_H

#include <stdbool.h>
#include <stdint.h>

/* A domain ID in strict decimal: 1 to 5 digits and nothing else (no sign,
 * no blanks), at most 65535. Returns true with *domid set; false for NULL
 * or anything else. Callers apply their own range (Dom0, reserved IDs). */
bool domid_parse(const char *text, uint32_t *domid);

#endif
