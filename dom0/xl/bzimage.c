/* bzImage setup header and payload location (see bzimage.h). */
#include "bzimage.h"

#include <string.h>

/* Setup header fields used here (offsets in the file). */
#define BZ_SETUP_SECTS   0x1f1
#define BZ_BOOT_FLAG     0x1fe   /* 0xaa55 */
#define BZ_HEADER        0x202   /* "HdrS" */
#define BZ_VERSION       0x206
#define BZ_LOADFLAGS     0x211
#define BZ_PAYLOAD_OFF   0x248
#define BZ_PAYLOAD_LEN   0x24c
#define BZ_HEADER_END    0x250   /* everything read lies below this */
#define BZ_MIN_PROTOCOL  0x208   /* payload_offset/length exist from 2.08 */
#define BZ_LOADED_HIGH   0x01    /* loadflags: a bzImage, not a zImage */

static uint32_t read_le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t read_le32(const uint8_t *p) { return read_le16(p) | read_le16(p + 2) << 16; }

bool bzimage_detect(const uint8_t *img, size_t len)
{
    return len >= BZ_HEADER_END && !memcmp(img + BZ_HEADER, "HdrS", 4);
}

static enum bzimage_comp payload_compression(const uint8_t *p, size_t len)
{
    static const struct {
        enum bzimage_comp comp;
        uint8_t n;
        uint8_t magic[6];
    } magics[] = {
        { BZ_COMP_XZ, 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
        { BZ_COMP_GZIP, 2, { 0x1f, 0x8b } },
        { BZ_COMP_BZIP2, 3, { 'B', 'Z', 'h' } },
        { BZ_COMP_LZMA, 3, { 0x5d, 0x00, 0x00 } },
        { BZ_COMP_LZO, 4, { 0x89, 'L', 'Z', 'O' } },
        { BZ_COMP_LZ4, 4, { 0x02, 0x21, 0x4c, 0x18 } },
        { BZ_COMP_ZSTD, 4, { 0x28, 0xb5, 0x2f, 0xfd } },
    };
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        if (len >= magics[i].n && !memcmp(p, magics[i].magic, magics[i].n))
            return magics[i].comp;
    return BZ_COMP_UNKNOWN;
}

const char *bzimage_comp_name(enum bzimage_comp comp)
{
    switch (comp) {
    case BZ_COMP_XZ: return "xz";
    case BZ_COMP_GZIP: return "gzip";
    case BZ_COMP_BZIP2: return "bzip2";
    case BZ_COMP_LZMA: return "lzma";
    case BZ_COMP_LZO: return "lzo";
    case BZ_COMP_LZ4: return "lz4";
    case BZ_COMP_ZSTD: return "zstd";
    case BZ_COMP_UNKNOWN: break;
    }
    return "unknown";
}

int bzimage_find_payload(const uint8_t *img, size_t len, struct bzimage_payload *p,
                         const char **err)
{
    memset(p, 0, sizeof(*p));
    if (!bzimage_detect(img, len)) {
        *err = "not a bzImage (no HdrS setup header)";
        return -1;
    }
    if (read_le16(img + BZ_BOOT_FLAG) != 0xaa55) {
        *err = "bad bzImage boot flag (expected 0xaa55 at offset 0x1fe)";
        return -1;
    }
    p->protocol = (uint16_t)read_le16(img + BZ_VERSION);
    if (p->protocol < BZ_MIN_PROTOCOL) {
        *err = "bzImage boot protocol older than 2.08 has no payload pointer";
        return -1;
    }
    if (!(img[BZ_LOADFLAGS] & BZ_LOADED_HIGH)) {
        *err = "a zImage (loaded low), not a bzImage";
        return -1;
    }
    /* setup_sects 0 means 4, for old loaders' sake (boot.rst). */
    uint64_t setup_sects = img[BZ_SETUP_SECTS] ? img[BZ_SETUP_SECTS] : 4;
    uint64_t pm_start = (setup_sects + 1) * 512;
    uint64_t off = pm_start + read_le32(img + BZ_PAYLOAD_OFF);
    uint64_t plen = read_le32(img + BZ_PAYLOAD_LEN);
    if (plen == 0 || off > len || plen > len - off) {
        *err = "bzImage payload lies outside the file (truncated or corrupt image)";
        return -1;
    }
    p->offset = (size_t)off;
    p->length = (size_t)plen;
    p->comp = payload_compression(img + off, (size_t)plen);
    if (plen >= 4)
        p->size_hint = read_le32(img + off + plen - 4);
    return 0;
}
