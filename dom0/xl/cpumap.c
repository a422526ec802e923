/*
 * xl CPU list syntax. Semantics follow xl's update_cpumap_range() and
 * parse_range() (tools/xl/xl_parse.c): terms are split at commas (empty
 * terms are skipped), applied in order, a range needs N <= M, and "^all"
 * is refused. Differences: a CPU number beyond CPUMAP_MAX_CPUS is an
 * error (libxl silently drops bits beyond the host's CPU count), and a
 * list that selects no CPU at all is an error.
 */
#include "cpumap.h"
#include "cfg_error.h"

#include <string.h>

static void cpumap_set(struct cpumap *map, unsigned cpu, bool on)
{
    uint64_t bit = (uint64_t)1 << (cpu % 64);

    if (on)
        map->bits[cpu / 64] |= bit;
    else
        map->bits[cpu / 64] &= ~bit;
}

unsigned cpumap_count(const struct cpumap *map)
{
    unsigned n = 0;

    for (unsigned i = 0; i < CPUMAP_WORDS; i++)
        n += (unsigned)__builtin_popcountll(map->bits[i]);
    return n;
}

/* A decimal CPU number; like strtoul, leading blanks are allowed. */
static const char *cpumap_number(const char *p, const char *end, unsigned long *out)
{
    unsigned long v = 0;
    const char *digits;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    digits = p;
    while (p < end && *p >= '0' && *p <= '9') {
        if (v <= CPUMAP_MAX_CPUS)   /* saturate: anything bigger is refused */
            v = v * 10 + (unsigned long)(*p - '0');
        p++;
    }
    if (p == digits)
        return NULL;
    *out = v;
    return p;
}

static bool cpumap_has_prefix(const char **p, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);

    if ((size_t)(end - *p) < n || memcmp(*p, prefix, n))
        return false;
    *p += n;
    return true;
}

/* The term [p, end) made printable for a message. */
static const char *cpumap_show(const char *p, const char *end, char *out, size_t outlen)
{
    char raw[CFG_QUOTE_MAX + 2];
    size_t n = (size_t)(end - p);

    if (n > sizeof(raw) - 1)
        n = sizeof(raw) - 1;
    memcpy(raw, p, n);
    raw[n] = '\0';
    return cfg_quote(raw, out, outlen);
}

static int cpumap_term(const char *p, const char *end, struct cpumap *map,
                       char *why, size_t whylen)
{
    char term[CFG_QUOTE_BUF];
    unsigned long first, last;
    bool remove = false;

    cpumap_show(p, end, term, sizeof(term));

    if (p < end && *p == '^') {
        remove = true;
        p++;
    }
    if (cpumap_has_prefix(&p, end, "node:") || cpumap_has_prefix(&p, end, "nodes:")) {
        cfg_error_set(why, whylen,
                      "NUMA node terms like '%s' are not supported; list CPUs instead",
                      term);
        return -1;
    }
    if ((size_t)(end - p) == 3 && !memcmp(p, "all", 3)) {
        if (remove) {
            cfg_error_set(why, whylen, "'^' cannot be combined with 'all'");
            return -1;
        }
        memset(map->bits, 0xff, sizeof(map->bits));
        return 0;
    }
    p = cpumap_number(p, end, &first);
    last = first;
    if (p && p < end && *p == '-')
        p = cpumap_number(p + 1, end, &last);
    if (!p || p != end) {
        cfg_error_set(why, whylen, "invalid CPU range '%s'", term);
        return -1;
    }
    if (last < first) {
        cfg_error_set(why, whylen,
                      "invalid CPU range '%s' (the end is below the start)",
                      term);
        return -1;
    }
    if (last >= CPUMAP_MAX_CPUS) {
        cfg_error_set(why, whylen, "CPU numbers must be below %d, in '%s'",
                      CPUMAP_MAX_CPUS, term);
        return -1;
    }
    for (unsigned long cpu = first; cpu <= last; cpu++)
        cpumap_set(map, (unsigned)cpu, !remove);
    return 0;
}

int cpumap_parse(const char *text, struct cpumap *map, char *why, size_t whylen)
{
    const char *p = text;
    char q[CFG_QUOTE_BUF];

    memset(map, 0, sizeof(*map));
    while (*p) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);

        if (end > p && cpumap_term(p, end, map, why, whylen))
            return -1;
        p = comma ? comma + 1 : end;
    }
    if (!cpumap_count(map)) {
        cfg_error_set(why, whylen, "CPU list '%s' selects no CPU",
                      cfg_quote(text, q, sizeof(q)));
        return -1;
    }
    return 0;
}

int cpumap_mask64(const struct cpumap *map, uint64_t *mask, unsigned *bad)
{
    bool all_high = true;
    for (unsigned w = 1; w < CPUMAP_WORDS; w++)
        all_high &= map->bits[w] == ~0ull;
    *mask = map->bits[0];
    if (all_high)
        return 0;
    for (unsigned cpu = 64; cpu < CPUMAP_MAX_CPUS; cpu++)
        if (cpumap_test(map, cpu)) {
            *bad = cpu;
            return -1;
        }
    return 0;
}
