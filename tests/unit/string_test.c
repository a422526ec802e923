/*
 * The hypervisor's memcpy and memmove (common/lib/string.c), built for the
 * host under other names: every length up to 300 bytes at every pair of
 * source and destination offsets within 16 bytes (the bulk path moves 64
 * bytes at a time from a source of any alignment), and whole pages at the
 * offsets grant copies use. Bytes outside the destination stay untouched.
 */
#include "tests/lib/tap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define memcpy hv_memcpy
#define memmove hv_memmove
#define memset hv_memset
#define memcmp hv_memcmp
#define strlen hv_strlen
#define strnlen hv_strnlen
#define strcmp hv_strcmp
#define strncmp hv_strncmp
#define strchr hv_strchr
#define strlcpy hv_strlcpy
#include "hypervisor/common/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp

#define AREA (8192 + 64)

static uint8_t src[AREA], dst[AREA], want[AREA];

/* Copies n bytes from src+so to dst+do with fn; a description of the first
 * wrong byte, or NULL. */
static const char *try_copy(void *(*fn)(void *, const void *, size_t), size_t so, size_t doff, size_t n)
{
    static char why[128];
    for (size_t i = 0; i < AREA; i++) {
        src[i] = (uint8_t)(i * 131 + 7);
        dst[i] = want[i] = (uint8_t)~i;
    }
    memcpy(want + doff, src + so, n);
    void *r = fn(dst + doff, src + so, n);
    if (r != dst + doff)
        return "wrong return value";
    for (size_t i = 0; i < AREA; i++)
        if (dst[i] != want[i]) {
            snprintf(why, sizeof(why), "src+%zu -> dst+%zu, %zu bytes: byte %zd differs", so, doff, n,
                     (ssize_t)i - (ssize_t)doff);
            return why;
        }
    return NULL;
}

static const char *sweep(void *(*fn)(void *, const void *, size_t))
{
    const char *bad = NULL;
    for (size_t so = 0; so < 16 && !bad; so++)
        for (size_t doff = 0; doff < 16 && !bad; doff++)
            for (size_t n = 0; n <= 300 && !bad; n++)
                bad = try_copy(fn, so, doff, n);
    static const size_t page_offsets[][2] = { { 0, 0 }, { 2, 0 }, { 0, 2 }, { 66, 0 }, { 7, 4093 }, { 4095, 1 } };
    for (size_t k = 0; k < sizeof(page_offsets) / sizeof(page_offsets[0]) && !bad; k++)
        bad = try_copy(fn, page_offsets[k][0], page_offsets[k][1], 4096 - page_offsets[k][0] % 4096);
    return bad;
}

/* memmove within one buffer, overlapping both ways. */
static const char *overlap(void)
{
    static char why[128];
    uint8_t buf[600], ref[600];
    for (size_t a = 0; a < 24; a++)
        for (size_t b = 0; b < 24; b++)
            for (size_t n = 0; n <= 260; n += 13) {
                for (size_t i = 0; i < sizeof(buf); i++)
                    buf[i] = ref[i] = (uint8_t)(i * 17 + 1);
                memmove(ref + b + 100, ref + a + 100, n);
                hv_memmove(buf + b + 100, buf + a + 100, n);
                if (memcmp(buf, ref, sizeof(buf))) {
                    snprintf(why, sizeof(why), "from +%zu to +%zu, %zu bytes", a, b, n);
                    return why;
                }
            }
    return NULL;
}

int main(void)
{
    TAP_PLAN(3);
    const char *bad = sweep(hv_memcpy);
    CHECK("memcpy: every length to 300 at every source and destination alignment, and whole pages", !bad, "%s", bad);
    bad = sweep(hv_memmove);
    CHECK("memmove of separate buffers: the same", !bad, "%s", bad);
    bad = overlap();
    CHECK("memmove of overlapping ranges, either way", !bad, "%s", bad);
    TAP_EXIT();
}
