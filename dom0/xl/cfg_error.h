/*
 * Error text helpers shared by the xl.cfg parser and the domain
 * configuration builder. Every message the user sees has the form
 * "SOURCE:LINE: reason"; these helpers keep that shape in one place.
 */
#ifndef XL_CFG_ERROR_H
#define XL_CFG_ERROR_H

#include <stddef.h>

/* Longest rendition of a user value inside a message, so one huge
 * string in a config file cannot make every error unreadable. */
#define CFG_QUOTE_MAX 64

/* Writes "SOURCE:LINE: <formatted reason>" into err (if err != NULL). */
void cfg_error_at(char *err, size_t errlen, const char *source, unsigned line,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes "<formatted reason>" into err (if err != NULL). */
void cfg_error_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* cfg_error_set, returning -1: for "return cfg_fail(err, len, ...)". */
int cfg_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Renders text for a message: control and non-ASCII bytes become \xNN
 * and the result is cut at CFG_QUOTE_MAX characters with "...", so
 * values taken from a file are safe to print on a terminal. Returns out.
 */
const char *cfg_quote(const char *text, char *out, size_t outlen);

/* Buffer size that always holds a cfg_quote() result. */
#define CFG_QUOTE_BUF (CFG_QUOTE_MAX * 4 + 8)

#endif
