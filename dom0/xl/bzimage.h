/*
 * Finding the kernel inside an x86 bzImage (Documentation/x86/boot.rst).
 * Debian ships its kernels only as bzImages: the ELF vmlinux that PVH boot
 * loads is the XZ-compressed payload the setup header points at. Every
 * offset read from the image is checked; the image may be hostile.
 */
#ifndef XL_BZIMAGE_H
#define XL_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compression of a payload, told by its magic bytes. */
enum bzimage_comp {
    BZ_COMP_XZ,
    BZ_COMP_GZIP,
    BZ_COMP_BZIP2,
    BZ_COMP_LZMA,
    BZ_COMP_LZO,
    BZ_COMP_LZ4,
    BZ_COMP_ZSTD,
    BZ_COMP_UNKNOWN,
};

struct bzimage_payload {
    size_t offset;              /* in the file */
    size_t length;
    enum bzimage_comp comp;
    /* The kernel build appends the unpacked size as 4 little-endian bytes
     * after the compressed stream: a hint for the output buffer, never
     * trusted as a bound. 0 if the payload is too short to have one. */
    uint32_t size_hint;
    uint16_t protocol;          /* boot protocol version, e.g. 0x20f */
};

/* True if img has the setup header's "HdrS" signature: it claims to be a
 * bzImage (bzimage_find_payload then says whether it really is one). */
bool bzimage_detect(const uint8_t *img, size_t len);

/* Locates the payload. Returns 0, or -1 with a static reason in *err. */
int bzimage_find_payload(const uint8_t *img, size_t len, struct bzimage_payload *p,
                         const char **err);

const char *bzimage_comp_name(enum bzimage_comp comp);

#endif
