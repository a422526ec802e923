/* Formatting of parser and validation errors ("SOURCE:LINE: reason"). */
#include "cfg_error.h"

#include <stdarg.h>
#include <stdio.h>

void cfg_error_at(char *err, size_t errlen, const char *source, unsigned line,
                  const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!err || !errlen)
        return;
    n = snprintf(err, errlen, "%s:%u: ", source ? source : "<config>", line);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

void cfg_error_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int cfg_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

const char *cfg_quote(const char *text, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, shown = 0;
    const unsigned char *p = (const unsigned char *)text;

    if (!outlen)
        return out;
    for (; *p && shown < CFG_QUOTE_MAX; p++, shown++) {
        if (*p >= 0x20 && *p < 0x7f) {
            if (o + 1 >= outlen)
                break;
            out[o++] = (char)*p;
        } else {
            if (o + 4 >= outlen)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (*p && o + 3 < outlen) {
        out[o++] = '.';
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o] = '\0';
    return out;
}
