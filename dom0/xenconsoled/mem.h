/* Counted heap allocation for xenconsoled.
 *
 * Every allocation the daemon itself makes goes through these helpers so
 * that the number of live blocks and bytes can be reported (SIGUSR1, and a
 * warning at exit) and tests can prove that domains coming and going leave
 * no memory behind. Strings handed out by libxenstore are not counted:
 * they are released with free() where they are read.
 *
 * Running out of memory aborts: the daemon holds no state that a restart
 * by the init system would not rebuild from xenstore and the rings.
 */
#ifndef XENCONSOLED_MEM_H
#define XENCONSOLED_MEM_H

#include <stddef.h>

void *mem_zalloc(size_t size);
char *mem_strdup(const char *s);
char *mem_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mem_free(void *ptr);

struct mem_stats {
    size_t blocks;
    size_t bytes;
};
void mem_get_stats(struct mem_stats *out);

#endif
