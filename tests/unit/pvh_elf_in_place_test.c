/*
 * pvh_elf_in_place_order and pvh_elf_load_in_place (lib/pvh_elf.c): loading
 * a kernel from a file that lies in the memory it loads into, as Dom0's
 * kernel does when the boot loader put it low (hypervisor/common/dom0_build.c
 * calls both). Each case loads a small image inside a simulated memory in
 * the order returned and compares with a load from a pristine copy of the
 * file.
 */
#include "tests/lib/tap.h"

#include "lib/pvh_elf.c"

#include <stdlib.h>
#include <string.h>

#define MEM_SIZE (1u << 20)

static uint8_t mem[MEM_SIZE], file_copy[MEM_SIZE], expect[MEM_SIZE];

/* Three segments (the last with a zero fill), file offsets ascending with
 * the load addresses, as in Linux's vmlinux. */
static struct pvh_image image(uint64_t base)
{
    struct pvh_image img = {
        .entry = (uint32_t)base,
        .nr_segments = 3,
        .seg = {
            { base, 0x1000, 0x30000, 0x30000 },
            { base + 0x30000, 0x31000, 0x8000, 0x8000 },
            { base + 0x38000, 0x39000, 0x4000, 0x20000 },
        },
        .paddr_start = base,
        .paddr_end = base + 0x58000,
    };
    return img;
}

#define FILE_SIZE 0x3d000u

/* Loads img from the file at mem[file_at] in the order given; true if the
 * result equals a load from an untouched copy of the file, and the memory
 * outside the segments is as it was. */
static bool loads_correctly(const struct pvh_image *img, uint64_t file_at, const unsigned int *order)
{
    for (unsigned int i = 0; i < FILE_SIZE; i++)
        file_copy[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
    memset(mem, 0xee, sizeof(mem));
    memcpy(mem + file_at, file_copy, FILE_SIZE);
    memcpy(expect, mem, sizeof(mem));
    for (unsigned int i = 0; i < img->nr_segments; i++) {
        const struct pvh_segment *s = &img->seg[i];
        memcpy(expect + s->paddr, file_copy + s->offset, s->filesz);
        memset(expect + s->paddr + s->filesz, 0, s->memsz - s->filesz);
    }
    pvh_elf_load_in_place(img, file_at, order, (uintptr_t)mem);
    for (unsigned int i = 0; i < img->nr_segments; i++) {
        const struct pvh_segment *s = &img->seg[i];
        if (memcmp(mem + s->paddr, expect + s->paddr, s->memsz))
            return false;
    }
    /* Nothing below the image or above the file is written. */
    uint64_t low = img->paddr_start < file_at ? img->paddr_start : file_at;
    uint64_t high = img->paddr_end > file_at + FILE_SIZE ? img->paddr_end : file_at + FILE_SIZE;
    return !memcmp(mem, expect, low) && !memcmp(mem + high, expect + high, MEM_SIZE - high);
}

int main(void)
{
    TAP_PLAN(7);
    unsigned int order[PVH_MAX_SEGMENTS];

    /* The file a little below where it loads (QEMU's multiboot layout for
     * Dom0): the segments move up over their own file bytes. */
    struct pvh_image img = image(0x40000);
    bool ok = pvh_elf_in_place_order(&img, 0x20000, order);
    CHECK("file below its load address: loadable in place", ok, "refused");
    CHECK("order is by descending load address", order[0] == 2 && order[1] == 1 && order[2] == 0,
          "order %u %u %u", order[0], order[1], order[2]);
    CHECK("file below its load address: loads correctly", ok && loads_correctly(&img, 0x20000, order),
          "segments differ from a load from a copy");

    /* The file far from where it loads. */
    ok = pvh_elf_in_place_order(&img, 0xc0000, order);
    CHECK("file clear of its load range: loadable", ok && loads_correctly(&img, 0xc0000, order),
          "refused or loaded wrongly");

    /* The file above where it loads: the highest segment's destination
     * covers a lower segment's file bytes, which no order can avoid
     * without a second copy. */
    img = image(0x10000);
    ok = pvh_elf_in_place_order(&img, 0x30000, order);
    CHECK("file above its load address: refused", !ok, "accepted an order that overwrites its input");

    /* Offsets that wrap the address space are refused, not compared. */
    img = image(0x40000);
    img.seg[0].offset = UINT64_MAX - 0x10;
    ok = pvh_elf_in_place_order(&img, 0x20000, order);
    CHECK("wrapping file offset: refused", !ok, "accepted");

    /* A single segment may always move over itself. */
    img = image(0x40000);
    img.nr_segments = 1;
    ok = pvh_elf_in_place_order(&img, 0x3f000, order);
    CHECK("one segment overlapping its own file: loadable", ok && loads_correctly(&img, 0x3f000, order),
          "refused or loaded wrongly");
    TAP_EXIT();
}
