/*
 * The result of parsing xl.cfg text: an ordered set of settings, one
 * per key, each remembering where it was (last) defined. The rules for
 * redefinition are libxlu's (tools/libs/util/libxlu_cfg.c): a later
 * '=' replaces the value; '+=' concatenates onto the earlier value,
 * string to string or list to list, and is a plain definition when the
 * key has no earlier value.
 */
#ifndef XL_CFG_SETTINGS_H
#define XL_CFG_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

enum cfg_value_kind {
    CFG_VALUE_STRING,   /* a quoted string or a bare number, as text */
    CFG_VALUE_LIST,
};

struct cfg_value {
    enum cfg_value_kind kind;
    unsigned line;              /* line where the value starts */
    /* CFG_VALUE_STRING: NUL-terminated; NUL bytes cannot occur. */
    char *text;
    size_t text_len, text_cap;
    /* CFG_VALUE_LIST */
    struct cfg_value **items;
    size_t count, cap;
};

enum cfg_op {
    CFG_OP_ASSIGN,      /* KEY = VALUE */
    CFG_OP_APPEND,      /* KEY += VALUE */
};

struct cfg_setting {
    char *key;
    struct cfg_value *value;
    enum cfg_op op;             /* operator of the latest definition */
    const char *source;         /* input name; owned by the cfg_settings */
    unsigned line;              /* line of the latest definition */
    bool used;                  /* set by consumers; the rest are "ignored" */
};

struct cfg_settings {
    struct cfg_setting **items; /* one per key, in order of first definition */
    size_t count, cap;
    size_t *index;              /* open-addressing hash: position + 1, 0 = empty */
    size_t index_cap;
    char **sources;             /* input names, owned */
    size_t n_sources;
};

struct cfg_settings *cfg_settings_new(void);
void cfg_settings_free(struct cfg_settings *set);

/* The setting for key, or NULL. Does not mark it used. */
struct cfg_setting *cfg_settings_find(const struct cfg_settings *set,
                                      const char *key);

/* Keeps a copy of an input name for the settings to point at; NULL if
 * out of memory. */
const char *cfg_settings_intern_source(struct cfg_settings *set,
                                       const char *source);

/*
 * Defines key (ownership of key and value passes to the set, also on
 * failure). Returns 0, or -1 with "SOURCE:LINE: reason" in err ('+='
 * mixing a string and a list, or out of memory).
 */
int cfg_settings_store(struct cfg_settings *set, char *key, enum cfg_op op,
                       struct cfg_value *value, const char *source,
                       unsigned line, char *err, size_t errlen);

/* Value constructors; NULL when out of memory. text is taken over. */
struct cfg_value *cfg_value_new_string(char *text, size_t len, unsigned line);
struct cfg_value *cfg_value_new_list(unsigned line);
/* Appends item to list (taking it over, also on failure). 0 or -1. */
int cfg_value_list_append(struct cfg_value *list, struct cfg_value *item);
void cfg_value_free(struct cfg_value *value);

#endif
