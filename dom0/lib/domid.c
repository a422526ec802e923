/* Domain IDs as text (see domid.h). */
#include "domid.h"

#include <string.h>

bool domid_parse(const char *text, uint32_t *domid)
{
    uint32_t v = 0;

    if (!text || !*text || strlen(text) > 5)
        return false;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    if (v > 65535)
        return false;
    *domid = v;
    return true;
}
