/*
 * Host CPU sets written in xl's CPU list syntax (xl.cfg(5) "cpus="):
 * comma-separated terms applied left to right, each one of
 *   N        add CPU N            ^N     remove CPU N
 *   N-M      add CPUs N..M        ^N-M   remove CPUs N..M
 *   all      add every CPU
 * so "all,^1" is every CPU but 1 and "0-3,^2" is {0,1,3}. xl's NUMA
 * forms ("node:N", "nodes:N-M") are refused: Basalt has no NUMA
 * placement.
 */
#ifndef XL_CPUMAP_H
#define XL_CPUMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPUMAP_MAX_CPUS 512
#define CPUMAP_WORDS (CPUMAP_MAX_CPUS / 64)

struct cpumap {
    uint64_t bits[CPUMAP_WORDS];
};

/*
 * Parses text into map (which is cleared first). Returns 0, or -1 with
 * a reason (no location) in why. An empty result is an error: a vCPU
 * pinned to no CPU could never run.
 */
int cpumap_parse(const char *text, struct cpumap *map, char *why, size_t whylen);

static inline bool cpumap_test(const struct cpumap *map, unsigned cpu)
{
    return cpu < CPUMAP_MAX_CPUS && (map->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpumap_count(const struct cpumap *map);

/*
 * The map as a 64-bit mask, the width of the hypervisor's CPU masks.
 * CPUs from 64 on are dropped when the map has every one of them (it said
 * "all", "all,^3", ...); naming one otherwise is -1 with it in *bad.
 */
int cpumap_mask64(const struct cpumap *map, uint64_t *mask, unsigned *bad);

#endif
