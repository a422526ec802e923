/* Counted heap allocation for xenstored.
 *
 * Every allocation the daemon makes goes through these helpers so that the
 * number of live blocks and bytes can be reported (CONTROL "stats") and
 * tests can prove that releasing domains returns memory. Running out of
 * memory aborts: xenstored keeps its store in memory, and a half-applied
 * update is worse than a restart by the init system.
 */
#ifndef XENSTORED_MEM_H
#define XENSTORED_MEM_H

#include <stddef.h>

void *xs_zalloc(size_t size);
void *xs_realloc(void *ptr, size_t size);
void *xs_memdup(const void *src, size_t size);
char *xs_strdup(const char *s);
char *xs_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xs_free(void *ptr);

struct mem_stats {
    size_t blocks;
    size_t bytes;
};
void mem_get_stats(struct mem_stats *out);

#endif
