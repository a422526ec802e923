/* Ordered set of xl.cfg settings with libxlu's redefinition rules. */
#include "cfg_settings.h"
#include "cfg_error.h"
#include "dom0/lib/string_hash.h"

#include <stdlib.h>
#include <string.h>

struct cfg_value *cfg_value_new_string(char *text, size_t len, unsigned line)
{
    struct cfg_value *v = calloc(1, sizeof(*v));

    if (!v) {
        free(text);
        return NULL;
    }
    v->kind = CFG_VALUE_STRING;
    v->line = line;
    v->text = text;
    v->text_len = len;
    v->text_cap = len + 1;
    return v;
}

struct cfg_value *cfg_value_new_list(unsigned line)
{
    struct cfg_value *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    v->kind = CFG_VALUE_LIST;
    v->line = line;
    return v;
}

static int settings_list_reserve(struct cfg_value *list, size_t extra)
{
    size_t need = list->count + extra;
    size_t cap = list->cap ? list->cap : 4;
    struct cfg_value **items;

    if (need <= list->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    items = realloc(list->items, cap * sizeof(*items));
    if (!items)
        return -1;
    list->items = items;
    list->cap = cap;
    return 0;
}

int cfg_value_list_append(struct cfg_value *list, struct cfg_value *item)
{
    if (settings_list_reserve(list, 1)) {
        cfg_value_free(item);
        return -1;
    }
    list->items[list->count++] = item;
    return 0;
}

void cfg_value_free(struct cfg_value *value)
{
    if (!value)
        return;
    free(value->text);
    for (size_t i = 0; i < value->count; i++)
        cfg_value_free(value->items[i]);
    free(value->items);
    free(value);
}

struct cfg_settings *cfg_settings_new(void)
{
    return calloc(1, sizeof(struct cfg_settings));
}

static void settings_setting_free(struct cfg_setting *s)
{
    free(s->key);
    cfg_value_free(s->value);
    free(s);
}

void cfg_settings_free(struct cfg_settings *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++)
        settings_setting_free(set->items[i]);
    free(set->items);
    free(set->index);
    for (size_t i = 0; i < set->n_sources; i++)
        free(set->sources[i]);
    free(set->sources);
    free(set);
}

const char *cfg_settings_intern_source(struct cfg_settings *set,
                                       const char *source)
{
    char **sources;
    char *copy;

    for (size_t i = 0; i < set->n_sources; i++)
        if (!strcmp(set->sources[i], source))
            return set->sources[i];
    copy = strdup(source);
    if (!copy)
        return NULL;
    sources = realloc(set->sources, (set->n_sources + 1) * sizeof(*sources));
    if (!sources) {
        free(copy);
        return NULL;
    }
    set->sources = sources;
    set->sources[set->n_sources++] = copy;
    return copy;
}

/* A hash table: a file may define many keys, so lookups must not be linear. */
static size_t *settings_slot(const struct cfg_settings *set, const char *key)
{
    size_t mask = set->index_cap - 1;
    size_t i = string_hash(key) & mask;

    for (;;) {
        size_t *slot = &set->index[i];
        if (!*slot || !strcmp(set->items[*slot - 1]->key, key))
            return slot;
        i = (i + 1) & mask;
    }
}

struct cfg_setting *cfg_settings_find(const struct cfg_settings *set,
                                      const char *key)
{
    size_t *slot;

    if (!set->index_cap)
        return NULL;
    slot = settings_slot(set, key);
    return *slot ? set->items[*slot - 1] : NULL;
}

/* Keeps the index at most half full so probing stays short. */
static int settings_grow(struct cfg_settings *set)
{
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct cfg_setting **items = realloc(set->items, cap * sizeof(*items));
        if (!items)
            return -1;
        set->items = items;
        set->cap = cap;
    }
    if ((set->count + 1) * 2 > set->index_cap) {
        size_t cap = set->index_cap ? set->index_cap * 2 : 32;
        size_t *old = set->index;
        size_t *index = calloc(cap, sizeof(*index));
        if (!index)
            return -1;
        set->index = index;
        set->index_cap = cap;
        for (size_t i = 0; i < set->count; i++)
            *settings_slot(set, set->items[i]->key) = i + 1;
        free(old);
    }
    return 0;
}

/* '+=' onto an existing value: the earlier content comes first. */
static int settings_concat(struct cfg_value *into, struct cfg_value *more)
{
    if (into->kind == CFG_VALUE_STRING) {
        size_t need = into->text_len + more->text_len + 1;
        if (need > into->text_cap) {
            size_t cap = into->text_cap * 2 > need ? into->text_cap * 2 : need;
            char *text = realloc(into->text, cap);
            if (!text)
                return -1;
            into->text = text;
            into->text_cap = cap;
        }
        memcpy(into->text + into->text_len, more->text, more->text_len + 1);
        into->text_len += more->text_len;
        return 0;
    }
    if (!more->count)
        return 0;
    if (settings_list_reserve(into, more->count))
        return -1;
    memcpy(into->items + into->count, more->items,
           more->count * sizeof(*more->items));
    into->count += more->count;
    more->count = 0;            /* the items now belong to into */
    return 0;
}

int cfg_settings_store(struct cfg_settings *set, char *key, enum cfg_op op,
                       struct cfg_value *value, const char *source,
                       unsigned line, char *err, size_t errlen)
{
    struct cfg_setting *s = cfg_settings_find(set, key);

    if (s && op == CFG_OP_APPEND) {
        if (s->value->kind != value->kind) {
            cfg_error_at(err, errlen, source, line,
                         "'+=' cannot add a %s to '%s', which is a %s",
                         value->kind == CFG_VALUE_LIST ? "list" : "string",
                         key,
                         s->value->kind == CFG_VALUE_LIST ? "list" : "string");
            goto fail;
        }
        if (settings_concat(s->value, value))
            goto nomem;
        cfg_value_free(value);
        free(key);
    } else if (s) {
        cfg_value_free(s->value);
        s->value = value;
        free(key);
    } else {
        if (settings_grow(set))
            goto nomem;
        s = calloc(1, sizeof(*s));
        if (!s)
            goto nomem;
        s->key = key;
        s->value = value;
        set->items[set->count++] = s;
        *settings_slot(set, key) = set->count;
    }
    s->op = op;
    s->source = source;
    s->line = line;
    return 0;

nomem:
    cfg_error_at(err, errlen, source, line, "out of memory");
fail:
    cfg_value_free(value);
    free(key);
    return -1;
}
