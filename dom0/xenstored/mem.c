/* Counted heap allocation: a small header in front of each block records
 * its size so that frees and reallocs keep the totals exact. */
#include "mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* 16 bytes keeps the payload aligned for any scalar type. */
struct mem_hdr {
    size_t size;
    size_t pad;
};

static size_t mem_live_blocks;
static size_t mem_live_bytes;

static void mem_oom(size_t size)
{
    log_msg(LOG_LVL_ERR, "out of memory allocating %zu bytes", size);
    abort();
}

void *xs_zalloc(size_t size)
{
    struct mem_hdr *h;

    if (size > SIZE_MAX - sizeof(*h))
        mem_oom(size);
    h = calloc(1, sizeof(*h) + size);
    if (!h)
        mem_oom(size);
    h->size = size;
    mem_live_blocks++;
    mem_live_bytes += size;
    return h + 1;
}

void *xs_realloc(void *ptr, size_t size)
{
    struct mem_hdr *h, *n;

    if (!ptr)
        return xs_zalloc(size);
    h = (struct mem_hdr *)ptr - 1;
    if (size > SIZE_MAX - sizeof(*h))
        mem_oom(size);
    n = realloc(h, sizeof(*n) + size);
    if (!n)
        mem_oom(size);
    mem_live_bytes -= n->size;
    mem_live_bytes += size;
    n->size = size;
    return n + 1;
}

void *xs_memdup(const void *src, size_t size)
{
    void *p = xs_zalloc(size ? size : 1);

    if (size)
        memcpy(p, src, size);
    return p;
}

char *xs_strdup(const char *s)
{
    return xs_memdup(s, strlen(s) + 1);
}

char *xs_asprintf(const char *fmt, ...)
{
    char small[256], *p;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        mem_oom(0);
    if ((size_t)n < sizeof(small))
        return xs_memdup(small, (size_t)n + 1);
    p = xs_zalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void xs_free(void *ptr)
{
    struct mem_hdr *h;

    if (!ptr)
        return;
    h = (struct mem_hdr *)ptr - 1;
    mem_live_blocks--;
    mem_live_bytes -= h->size;
    free(h);
}

void mem_get_stats(struct mem_stats *out)
{
    out->blocks = mem_live_blocks;
    out->bytes = mem_live_bytes;
}
