/*
 * Just enough JSON (RFC 8259) for QMP, QEMU's monitor protocol, and for
 * `qemu-img info --output=json`: a parser into a tree, lookups, and string
 * escaping for the commands xl sends. Input is QEMU's, so it is parsed
 * strictly and with bounds (depth, size): a malformed or hostile answer
 * is an error, never a crash.
 */
#ifndef XL_JSON_H
#define XL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 64

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    bool boolean;
    double number;
    long long integer;          /* the number, when it is an integer */
    bool is_integer;
    char *string;               /* NUL-terminated; may contain NULs from \u0000 (cut there) */
    size_t n;                   /* array items or object members */
    struct json **items;        /* values */
    char **keys;                /* object member names (NULL for arrays) */
};

/* Parses exactly one value (blanks around it allowed). Returns the tree,
 * or NULL with the reason (and byte offset) in err. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct json *j);

/* The member named key of an object (the last, if repeated), or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* The string value of member key, or NULL if absent or not a string. */
const char *json_get_string(const struct json *obj, const char *key);
/* An integer member; def if absent or not an integer. */
long long json_get_int(const struct json *obj, const char *key, long long def);

/* Writes s as a JSON string literal (with quotes) into out. Returns 0, or
 * -1 if it does not fit. */
int json_quote(const char *s, char *out, size_t len);

#endif
