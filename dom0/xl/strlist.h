/* A growable list of owned C strings (warnings, serial devices, ...). */
#ifndef XL_STRLIST_H
#define XL_STRLIST_H

#include <stddef.h>

struct strlist {
    char **items;
    size_t count;
    size_t cap;
};

/* Appends a copy of text. Returns 0, or -1 when out of memory. */
int strlist_add(struct strlist *list, const char *text);

/* Appends a formatted string. Returns 0, or -1 when out of memory. */
int strlist_addf(struct strlist *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void strlist_free(struct strlist *list);

#endif
