/*
 * Looking into a list of xenstore entries (dom0/xl/xs_entries.h) in the xl
 * unit tests: an entry by path, its value, its permissions. The test
 * defines `l`, the list it checks, before including this.
 */
#ifndef TESTS_UNIT_XS_ENTRY_CHECK_H
#define TESTS_UNIT_XS_ENTRY_CHECK_H

#include <stdio.h>
#include <string.h>

static const struct xs_entry *find(const char *path)
{
    for (size_t i = 0; i < l.count; i++)
        if (!strcmp(l.items[i].path, path))
            return &l.items[i];
    return NULL;
}

static int value_is(const char *path, const char *value)
{
    const struct xs_entry *e = find(path);
    if (!e)
        return 0;
    if (!value)
        return e->value == NULL;
    return e->value && !strcmp(e->value, value);
}

/* perms as "n0,r5" */
static int perms_are(const char *path, const char *want)
{
    const struct xs_entry *e = find(path);
    char got[64] = "";
    if (!e)
        return 0;
    for (unsigned i = 0; i < e->nperms; i++) {
        char one[16];
        snprintf(one, sizeof(one), "%s%c%u", i ? "," : "", e->perms[i].access, e->perms[i].domid);
        strcat(got, one);
    }
    return !strcmp(got, want);
}

#endif
