/*
 * XZ unpacking with liblzma. The x86 BCJ filter that kernel builds use is
 * declared inside the .xz stream's block headers, so the plain stream
 * decoder handles it.
 */
#include "xz_unpack.h"

#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *xz_reason(lzma_ret r)
{
    switch (r) {
    case LZMA_FORMAT_ERROR: return "not XZ data";
    case LZMA_OPTIONS_ERROR: return "unsupported XZ options or filters";
    case LZMA_DATA_ERROR: return "corrupt XZ data";
    case LZMA_BUF_ERROR: return "truncated XZ data";
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "the XZ stream needs too much memory to unpack";
    case LZMA_UNSUPPORTED_CHECK: return "unsupported XZ integrity check";
    default: return "XZ decoder error";
    }
}

int xz_unpack(const uint8_t *in, size_t inlen, size_t hint, size_t max_out, uint8_t **out,
              size_t *outlen, char *err, size_t errlen)
{
    lzma_stream s = LZMA_STREAM_INIT;
    /* A little slack past the hint lets the decoder reach the stream end
     * (index and footer) without asking for more room. */
    size_t cap;
    if (hint && hint < max_out)
        cap = max_out - hint >= 4096 ? hint + 4096 : max_out;
    else
        cap = inlen <= max_out / 4 ? (inlen < 4096 ? 16384 : inlen * 4) : max_out;
    if (cap > max_out)
        cap = max_out;
    if (cap == 0)
        cap = 1;
    uint8_t *buf = malloc(cap);
    lzma_ret r;

    *out = NULL;
    *outlen = 0;
    if (!buf) {
        snprintf(err, errlen, "out of memory for the unpacked kernel (%zu bytes)", cap);
        return -1;
    }
    /* LZMA_CONCATENATED is not asked for: the first stream is the kernel. */
    r = lzma_stream_decoder(&s, XZ_MEMLIMIT, 0);
    if (r != LZMA_OK) {
        snprintf(err, errlen, "cannot start the XZ decoder: %s", xz_reason(r));
        free(buf);
        return -1;
    }
    s.next_in = in;
    s.avail_in = inlen;
    s.next_out = buf;
    s.avail_out = cap;
    for (;;) {
        r = lzma_code(&s, LZMA_FINISH);
        if (r == LZMA_STREAM_END)
            break;
        if (r == LZMA_OK && s.avail_out == 0) {
            if (cap >= max_out) {
                snprintf(err, errlen, "the unpacked kernel is larger than %zu MiB",
                         max_out >> 20);
                goto fail;
            }
            size_t ncap = cap > max_out / 2 ? max_out : cap * 2;
            size_t used = cap; /* avail_out is 0: the buffer is full */
            uint8_t *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                snprintf(err, errlen, "out of memory for the unpacked kernel (%zu bytes)", ncap);
                goto fail;
            }
            s.next_out = nbuf + used;
            s.avail_out = ncap - cap;
            buf = nbuf;
            cap = ncap;
            continue;
        }
        if (r == LZMA_OK)
            r = LZMA_BUF_ERROR; /* input used up before the stream ended */
        snprintf(err, errlen, "%s (after %zu of %zu compressed bytes)", xz_reason(r),
                 inlen - s.avail_in, inlen);
        goto fail;
    }
    *outlen = cap - s.avail_out;
    *out = buf;
    lzma_end(&s);
    return 0;
fail:
    lzma_end(&s);
    free(buf);
    return -1;
}
