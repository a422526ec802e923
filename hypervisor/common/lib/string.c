/*
 * The string and memory functions the compiler and our code expect.
 * Bulk copies and fills use unrolled 64-bit moves rather than REP MOVS/STOS:
 * an emulator like QEMU's TCG runs a REP string instruction one iteration
 * at a time, which made zeroing a guest's memory ten times slower.
 */
#include <basalt/lib.h>

/* Keeps GCC from turning the loops below back into calls to themselves. */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* x86 loads and stores 8 bytes at any alignment; through this type the
 * compiler knows it may, and that the access aliases anything. */
typedef uint64_t __attribute__((aligned(1), may_alias)) unaligned_u64;

/* Bulk copies align the destination and read the source at whatever
 * alignment that leaves it: a grant copy of packet data (netback) has the
 * two ends at unrelated offsets, and byte moves made it six times longer. */
NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (n >= 64) {
        for (; (uintptr_t)d & 7; n--)
            *d++ = *s++;
        uint64_t *dq = (uint64_t *)d;
        const unaligned_u64 *sq = (const unaligned_u64 *)s;
        for (; n >= 64; n -= 64, dq += 8, sq += 8) {
            uint64_t a = sq[0], b = sq[1], c = sq[2], e = sq[3];
            uint64_t f = sq[4], g = sq[5], h = sq[6], i = sq[7];
            dq[0] = a, dq[1] = b, dq[2] = c, dq[3] = e;
            dq[4] = f, dq[5] = g, dq[6] = h, dq[7] = i;
        }
        d = (uint8_t *)dq;
        s = (const uint8_t *)sq;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    /* Backwards, from the end; whole 64-byte blocks when both ends align
     * (Dom0's kernel is moved this way at boot: tens of MB). */
    if (!(((uintptr_t)d ^ (uintptr_t)s) & 7)) {
        for (; n && ((uintptr_t)(d + n) & 7); n--)
            d[n - 1] = s[n - 1];
        uint64_t *dq = (uint64_t *)(d + n);
        const uint64_t *sq = (const uint64_t *)(s + n);
        for (; n >= 64; n -= 64) {
            dq -= 8, sq -= 8;
            uint64_t a = sq[0], b = sq[1], c = sq[2], e = sq[3];
            uint64_t f = sq[4], g = sq[5], h = sq[6], i = sq[7];
            dq[0] = a, dq[1] = b, dq[2] = c, dq[3] = e;
            dq[4] = f, dq[5] = g, dq[6] = h, dq[7] = i;
        }
    }
    while (n--)
        d[n] = s[n];
    return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n && ((uintptr_t)d & 7)) {
        *d++ = (uint8_t)c;
        n--;
    }
    uint64_t pattern = 0x0101010101010101ULL * (uint8_t)c;
    uint64_t *dq = (uint64_t *)d;
    for (; n >= 64; n -= 64, dq += 8) {
        dq[0] = pattern, dq[1] = pattern, dq[2] = pattern, dq[3] = pattern;
        dq[4] = pattern, dq[5] = pattern, dq[6] = pattern, dq[7] = pattern;
    }
    d = (uint8_t *)dq;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (; *s; s++)
        if (*s == (char)c)
            return (char *)s;
    return c ? NULL : (char *)s;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

uint64_t strtou64(const char *s, const char **end, int base)
{
    uint64_t v = 0;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
        digit_value(s[2]) < 16) {
        s += 2;
        base = 16;
    }
    if (base == 0)
        base = 10;
    for (int d; (d = digit_value(*s)) < base; s++)
        v = v * base + d;
    if (end)
        *end = s;
    return v;
}
