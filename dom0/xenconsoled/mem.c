#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A header in front of each block remembers its size for the byte count;
 * 16 bytes keep the caller's memory aligned as malloc's would be. */
struct mem_hdr {
    size_t size;
    size_t pad;
};

static struct mem_stats stats;

static void *mem_oom(size_t size)
{
    fprintf(stderr, "xenconsoled: out of memory (%zu bytes)\n", size);
    abort();
}

void *mem_zalloc(size_t size)
{
    struct mem_hdr *h;

    if (size > (size_t)-1 - sizeof(*h))
        return mem_oom(size);
    h = calloc(1, sizeof(*h) + size);
    if (!h)
        return mem_oom(size);
    h->size = size;
    stats.blocks++;
    stats.bytes += size;
    return h + 1;
}

char *mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = mem_zalloc(n);

    memcpy(p, s, n);
    return p;
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
        return mem_oom(0);
    p = mem_zalloc((size_t)n + 1);
    if ((size_t)n < sizeof(small)) {
        memcpy(p, small, (size_t)n + 1);
        return p;
    }
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
    stats.blocks--;
    stats.bytes -= h->size;
    free(h);
}

void mem_get_stats(struct mem_stats *out)
{
    *out = stats;
}
