/* Unpacking one XZ stream (a bzImage payload) into memory, with liblzma. */
#ifndef XL_XZ_UNPACK_H
#define XL_XZ_UNPACK_H

#include <stddef.h>
#include <stdint.h>

/* liblzma may use at most this much memory: Debian's kernels use a 32 MiB
 * dictionary, so this leaves room while bounding a hostile header. */
#define XZ_MEMLIMIT (256ull << 20)

/*
 * Unpacks the first XZ stream in in[0..inlen) (trailing bytes, such as the
 * size a kernel build appends, are ignored) into a malloc'd buffer of at
 * most max_out bytes. hint, if non-zero, is the expected output size.
 * Returns 0 with *out and *outlen set, or -1 with a reason in err.
 */
int xz_unpack(const uint8_t *in, size_t inlen, size_t hint, size_t max_out, uint8_t **out,
              size_t *outlen, char *err, size_t errlen);

#endif
