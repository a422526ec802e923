/* Counted heap allocation.
 *
 * Every allocation a daemon makes goes through these helpers so that the
 * number of live blocks and bytes can be reported (xenstored's CONTROL
 * "stats", xenconsoled's SIGUSR1, both at exit) and tests can prove that
 * domains coming and going leave no memory behind. Memory from elsewhere
 * (libc, libxen*) is released with free() as usual.
 *
 * Running out of memory aborts: neither daemon holds state that a restart
 * by the init system would not rebuild, and a half-applied update is worse
 * than a restart.
 */
#ifndef DOM0_LIB_MEM_H
#define DOM0_LIB_MEM_H

#include <stddef.h>

void *mem_zalloc(size_t size);
void *mem_realloc(void *ptr, size_t size);
void *mem_dup(const void *src, size_t size);
char *mem_strdup(const char *s);
char *mem_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mem_free(void *ptr);

struct mem_stats {
    size_t blocks;
    size_t bytes;
};
void mem_get_stats(struct mem_stats *out);

#endif
