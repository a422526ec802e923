/*
 * libFuzzer target for xl's kernel image parsing (dom0/xl/bzimage.c,
 * xz_unpack.c, kernel_image.c, lib/pvh_elf.c) and the layout computed from
 * what it accepts (dom0/xl/layout.c). The input is a kernel file: an ELF,
 * or a bzImage whose payload liblzma unpacks (bounded to 8 MiB here). The
 * layout invariants are checked, so a wrong result crashes like a memory
 * error.
 */

#include "lib/pvh_acpi.c"
#include "lib/pvh_elf.c"
#include "lib/pvh_start_info.c"
#include "dom0/xl/bzimage.c"
#include "dom0/xl/xz_unpack.c"
#include "dom0/xl/read_file.c"
#include "dom0/xl/kernel_image.c"
#include "dom0/xl/layout.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_UNPACK_MAX (8u << 20)

static void fuzz_check(int cond)
{
    if (!cond)
        abort();
}

static struct domu_layout layout;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    char err[512];
    struct kernel_image k;

    memcpy(buf, data, size);
    if (kernel_image_from_buffer(buf, size, FUZZ_UNPACK_MAX, &k, err, sizeof(err))) {
        fuzz_check(err[0] != 0);
        return 0;
    }
    fuzz_check(k.elf_len <= (size > FUZZ_UNPACK_MAX ? size : FUZZ_UNPACK_MAX));
    for (unsigned i = 0; i < k.info.nr_segments; i++) {
        const struct pvh_segment *s = &k.info.seg[i];
        fuzz_check(s->offset <= k.elf_len && s->filesz <= k.elf_len - s->offset);
        fuzz_check(s->filesz <= s->memsz);
        fuzz_check(s->paddr >= k.info.paddr_start && s->paddr + s->memsz <= k.info.paddr_end);
    }
    fuzz_check(k.info.entry >= k.info.paddr_start && k.info.entry < k.info.paddr_end);

    /* Lay it out in a 256 MiB domain with a ramdisk; whatever is accepted
     * must be inside RAM and must not overlap. */
    uint64_t initrd = size * 3 + 1;
    struct layout_params p = { 256ull << 20, &k.info, initrd, "console=hvc0", 2, 2 };
    if (!layout_compute(&p, &layout, err, sizeof(err))) {
        fuzz_check(layout.initrd_gpa >= k.info.paddr_end);
        fuzz_check(layout.initrd_gpa + initrd <= layout.start_info_gpa);
        fuzz_check(layout.start_info_gpa + layout.start_info_len <= layout.low_end);
        fuzz_check(layout.start_info_gpa + layout.start_info_len <= LAYOUT_EARLY_MAP_END);
        for (unsigned i = 0; i < k.info.nr_segments; i++)
            fuzz_check(k.info.seg[i].paddr + k.info.seg[i].memsz <= layout.low_end);
    }
    kernel_image_free(&k);
    return 0;
}
