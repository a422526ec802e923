/* Typed access to parsed xl.cfg settings (libxlu conversion rules). */
#include "cfg_get.h"
#include "cfg_error.h"

#include <errno.h>
#include <stdlib.h>

struct cfg_setting *cfg_take(struct cfg_settings *set, const char *key)
{
    struct cfg_setting *s = cfg_settings_find(set, key);

    if (s)
        s->used = true;
    return s;
}

int cfg_text_to_long(const char *text, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 0);
    if (end == text || *end)
        return -1;
    if (errno == ERANGE)
        return -2;
    *out = v;
    return 0;
}

static int get_atom(struct cfg_settings *set, const char *key,
                    const struct cfg_setting **where, char *err, size_t errlen,
                    const struct cfg_setting **found)
{
    const struct cfg_setting *s = cfg_take(set, key);

    if (!s)
        return 0;
    if (where)
        *where = s;
    if (s->value->kind != CFG_VALUE_STRING) {
        cfg_error_at(err, errlen, s->source, s->line,
                     "value for '%s' must be a single value, not a list", key);
        return -1;
    }
    *found = s;
    return 1;
}

int cfg_get_string(struct cfg_settings *set, const char *key,
                   const char **out, const struct cfg_setting **where,
                   char *err, size_t errlen)
{
    const struct cfg_setting *s;
    int rc = get_atom(set, key, where, err, errlen, &s);

    if (rc == 1)
        *out = s->value->text;
    return rc;
}

int cfg_get_long(struct cfg_settings *set, const char *key, long *out,
                 const struct cfg_setting **where, char *err, size_t errlen)
{
    const struct cfg_setting *s;
    char q[CFG_QUOTE_BUF];
    int rc = get_atom(set, key, where, err, errlen, &s);

    if (rc != 1)
        return rc;
    if (s->op == CFG_OP_APPEND) {
        cfg_error_at(err, errlen, s->source, s->line,
                     "'+=' cannot be used with '%s', which is a number", key);
        return -1;
    }
    switch (cfg_text_to_long(s->value->text, out)) {
    case 0:
        return 1;
    case -2:
        cfg_error_at(err, errlen, s->source, s->line,
                     "value for '%s' is out of range: '%s'", key,
                     cfg_quote(s->value->text, q, sizeof(q)));
        return -1;
    default:
        cfg_error_at(err, errlen, s->source, s->line,
                     "value for '%s' must be a number, not '%s'", key,
                     cfg_quote(s->value->text, q, sizeof(q)));
        return -1;
    }
}

int cfg_get_bool(struct cfg_settings *set, const char *key, bool *out,
                 const struct cfg_setting **where, char *err, size_t errlen)
{
    long v;
    int rc = cfg_get_long(set, key, &v, where, err, errlen);

    if (rc == 1)
        *out = v != 0;
    return rc;
}

int cfg_get_list(struct cfg_settings *set, const char *key,
                 const struct cfg_value **out, const struct cfg_setting **where,
                 char *err, size_t errlen)
{
    const struct cfg_setting *s = cfg_take(set, key);

    if (!s)
        return 0;
    if (where)
        *where = s;
    if (s->value->kind != CFG_VALUE_LIST) {
        cfg_error_at(err, errlen, s->source, s->line,
                     "value for '%s' must be a list like [ \"...\", \"...\" ]",
                     key);
        return -1;
    }
    *out = s->value;
    return 1;
}

int cfg_get_string_or_list(struct cfg_settings *set, const char *key,
                           const struct cfg_value **out,
                           const struct cfg_setting **where,
                           char *err, size_t errlen)
{
    const struct cfg_setting *s = cfg_take(set, key);

    if (!s)
        return 0;
    if (where)
        *where = s;
    if (s->value->kind == CFG_VALUE_LIST) {
        for (size_t i = 0; i < s->value->count; i++) {
            if (s->value->items[i]->kind != CFG_VALUE_STRING) {
                cfg_error_at(err, errlen, s->source, s->value->items[i]->line,
                             "entry %zu of '%s' must be a string, not a list",
                             i + 1, key);
                return -1;
            }
        }
    }
    *out = s->value;
    return 1;
}
