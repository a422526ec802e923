/* Loading the guest kernel: ELF, or bzImage with an XZ payload. */
#include "kernel_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bzimage.h"
#include "read_file.h"
#include "xz_unpack.h"

static int parse_elf_kernel(struct kernel_image *k, const char *what, char *err, size_t errlen)
{
    const char *why;
    if (pvh_elf_parse(k->elf, k->elf_len, &k->info, &why)) {
        snprintf(err, errlen, "%s: %s", what, why);
        return -1;
    }
    return 0;
}

int kernel_image_from_buffer(uint8_t *buf, size_t len, size_t unpack_max,
                             struct kernel_image *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof(*k));
    if (len >= 4 && !memcmp(buf, "\177ELF", 4)) {
        k->elf = buf;
        k->elf_len = len;
        k->format = "ELF";
        if (parse_elf_kernel(k, "ELF kernel", err, errlen)) {
            kernel_image_free(k);
            return -1;
        }
        return 0;
    }
    if (!bzimage_detect(buf, len)) {
        snprintf(err, errlen, "not a kernel: neither an ELF file nor a bzImage");
        free(buf);
        return -1;
    }

    struct bzimage_payload p;
    const char *why;
    if (bzimage_find_payload(buf, len, &p, &why)) {
        snprintf(err, errlen, "%s", why);
        free(buf);
        return -1;
    }
    if (p.comp != BZ_COMP_XZ) {
        snprintf(err, errlen,
                 "bzImage payload is %s-compressed; only xz is supported "
                 "(Debian's kernels use xz; or give the unpacked vmlinux)",
                 bzimage_comp_name(p.comp));
        free(buf);
        return -1;
    }
    char why2[160];
    int rc = xz_unpack(buf + p.offset, p.length, p.size_hint, unpack_max, &k->elf, &k->elf_len,
                       why2, sizeof(why2));
    free(buf);
    if (rc) {
        snprintf(err, errlen, "bzImage payload: %s", why2);
        return -1;
    }
    k->format = "bzImage (xz)";
    if (parse_elf_kernel(k, "bzImage payload", err, errlen)) {
        kernel_image_free(k);
        return -1;
    }
    return 0;
}

int kernel_image_load(const char *path, struct kernel_image *k, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    char why[256];

    memset(k, 0, sizeof(*k));
    if (read_file(path, KERNEL_FILE_MAX, &buf, &len, err, errlen))
        return -1;
    if (kernel_image_from_buffer(buf, len, KERNEL_UNPACK_MAX, k, why, sizeof(why))) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 0;
}

void kernel_image_free(struct kernel_image *k)
{
    free(k->elf);
    memset(k, 0, sizeof(*k));
}
