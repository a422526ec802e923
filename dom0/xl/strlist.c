/* Growable list of owned strings. */
#include "strlist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int strlist_push(struct strlist *list, char *owned)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 4;
        char **items = realloc(list->items, cap * sizeof(*items));
        if (!items)
            return -1;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = owned;
    return 0;
}

int strlist_add(struct strlist *list, const char *text)
{
    char *copy = strdup(text);

    if (!copy)
        return -1;
    if (strlist_push(list, copy)) {
        free(copy);
        return -1;
    }
    return 0;
}

int strlist_addf(struct strlist *list, const char *fmt, ...)
{
    va_list ap;
    char *text;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    text = malloc((size_t)n + 1);
    if (!text)
        return -1;
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (strlist_push(list, text)) {
        free(text);
        return -1;
    }
    return 0;
}

void strlist_free(struct strlist *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = list->cap = 0;
}
