/* A small header in front of each block records its size so that frees
 * and reallocs keep the totals exact. */
#include "mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* 16 bytes keep the payload aligned for any scalar type, as malloc's is. */
struct mem_hdr {
    size_t size;
    size_t pad;
};

static struct mem_stats mem_live;

static __attribute__((noreturn)) void mem_oom(size_t size)
{
    log_msg(LOG_LVL_ERR, "out of memory allocating %zu bytes", size);
    abort();
}

void *mem_zalloc(size_t size)
{
    struct mem_hdr *h;

    if (size > SIZE_MAX - sizeof(*h))
        mem_oom(size);
    h = calloc(1, sizeof(*h) + size);
    if (!h)
        mem_oom(size);
    h->size = size;
    mem_live.blocks++;
    mem_live.bytes += size;
    return h + 1;
}

void *mem_realloc(void *ptr, size_t size)
{
    struct mem_hdr *h, *n;

    if (!ptr)
        return mem_zalloc(size);
    h = (struct mem_hdr *)ptr - 1;
    if (size > SIZE_MAX - sizeof(*h))
        mem_oom(size);
    n = realloc(h, sizeof(*n) + size);
    if (!n)
        mem_oom(size);
    mem_live.bytes -= n->size;
    mem_live.bytes += size;
    n->size = size;
    return n + 1;
}

void *mem_dup(const void *src, size_t size)
{
    void *p = mem_zalloc(size ? size : 1);

    if (size)
        memcpy(p, src, size);
    return p;
}

char *mem_strdup(const char *s)
{
    return mem_dup(s, strlen(s) + 1);
}

char *mem_asprintf(const char *fmt, ...)
{
    char small[256], *p;
    va_list ap;
    int n;

    /* Formatting into a real buffer first (not NULL, 0) keeps GCC's
     * format checker quiet under the sanitizer build. */
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        mem_oom(0);
    if ((size_t)n < sizeof(small))
        return mem_dup(small, (size_t)n + 1);
    p = mem_zalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void mem_free(void *ptr)
{
    struct mem_hdr *h;

    if (!ptr)
        return;
    h = (struct mem_hdr *)ptr - 1;
    mem_live.blocks--;
    mem_live.bytes -= h->size;
    free(h);
}

void mem_get_stats(struct mem_stats *out)
{
    *out = mem_live;
}
