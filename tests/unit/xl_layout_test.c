/*
 * The guest-physical layout xl's PVH builder gives a DomU
 * (dom0/xl/layout.c): the same placement as the hypervisor's boot-time
 * builder (hypervisor/arch/x86/pvh_build.c), the pages populate_physmap must
 * fill, the start-info block's contents, and the limits (kernel, ramdisk,
 * command line, vCPUs, the first GiB that Linux's early mapping covers).
 */
#include "tests/lib/tap.h"

#include "lib/pvh_acpi.c"
#include "lib/pvh_elf.c"
#include "lib/pvh_start_info.c"
#include "dom0/xl/layout.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1ull << 20)

static char err[512];
static struct domu_layout l;

/* The segments of Debian's 6.1 vmlinux (linux-pvh-guest.md 1.1). */
static const struct pvh_image debian = {
    .entry = 0x1000850,
    .nr_segments = 4,
    .seg = {
        { 0x1000000, 0x200000, 0x18ea9f0, 0x18ea9f0 },
        { 0x2a00000, 0x1c00000, 0x644000, 0x644000 },
        { 0x3044000, 0x2400000, 0x35000, 0x35000 },
        { 0x3079000, 0x2479000, 0x400000, 0x1987000 },
    },
    .paddr_start = 0x1000000,
    .paddr_end = 0x4a00000,
};

static int compute(uint64_t mem, uint64_t initrd, const char *cmdline, unsigned max,
                   unsigned online)
{
    struct layout_params p = { mem, &debian, initrd, cmdline, max, online };
    err[0] = 0;
    return layout_compute(&p, &l, err, sizeof(err));
}

static uint64_t align_page(uint64_t x)
{
    return (x + 4095) & ~4095ull;
}

static void test_demo_layout(void)
{
    const uint64_t initrd = 1089176;
    int rc = compute(256 * MiB, initrd, "console=hvc0 quiet", 2, 2);
    CHECK("demo layout computes", rc == 0, "%d: %s", rc, err);

    /* pvh_build.c: next = ALIGN_UP(paddr_end); initrd there; start info
     * at ALIGN_UP(initrd end). */
    uint64_t next = align_page(debian.paddr_end);
    CHECK("initrd right after the kernel", l.initrd_gpa == next && l.initrd_size == initrd,
          "%#llx", (unsigned long long)l.initrd_gpa);
    CHECK("start info after the initrd", l.start_info_gpa == align_page(next + initrd),
          "%#llx", (unsigned long long)l.start_info_gpa);
    CHECK("entry from the kernel", l.entry == debian.entry, "%#x", l.entry);

    CHECK("memory map: RAM, ACPI, special pages", l.nr_memmap == 3 &&
          l.memmap[0].addr == 0 && l.memmap[0].size == 256 * MiB && l.memmap[0].type == 1 &&
          l.memmap[1].addr == PVH_ACPI_BASE && l.memmap[1].type == 3 &&
          l.memmap[2].addr == 0xfeff8000 && l.memmap[2].size == 0x8000 && l.memmap[2].type == 2,
          "%u entries", l.nr_memmap);
    CHECK("populate: RAM, ACPI pages, 8 special pages", l.nr_populate == 3 &&
          l.populate[0].gfn == 0 && l.populate[0].nr == 65536 &&
          l.populate[1].gfn == 0xfc000 && l.populate[1].nr == PVH_ACPI_PAGES &&
          l.populate[2].gfn == 0xfeff8 && l.populate[2].nr == 8 &&
          l.populate_pages == 65536 + PVH_ACPI_PAGES + 8, "%u ranges, %llu pages",
          l.nr_populate, (unsigned long long)l.populate_pages);

    const struct hvm_start_info *si = (const void *)l.start_info;
    CHECK("start info: magic, version 1, DomU flags", si->magic == XEN_HVM_START_MAGIC_VALUE &&
          si->version == 1 && si->flags == 0, "magic %#x", si->magic);
    uint64_t off_cmd = si->cmdline_paddr - l.start_info_gpa;
    CHECK("start info: command line inside the block",
          off_cmd < l.start_info_len && !strcmp((const char *)l.start_info + off_cmd,
                                                "console=hvc0 quiet"),
          "offset %llu", (unsigned long long)off_cmd);
    const struct hvm_modlist_entry *m = (const void *)(l.start_info +
                                                       (si->modlist_paddr - l.start_info_gpa));
    CHECK("start info: the initrd module", si->nr_modules == 1 && m->paddr == l.initrd_gpa &&
          m->size == initrd, "%u modules", si->nr_modules);
    const struct hvm_memmap_table_entry *mm = (const void *)(l.start_info +
                                                             (si->memmap_paddr - l.start_info_gpa));
    CHECK("start info: the memory map", si->memmap_entries == l.nr_memmap &&
          !memcmp(mm, l.memmap, l.nr_memmap * sizeof(*mm)), "%u entries", si->memmap_entries);
    CHECK("start info: RSDP in the ACPI area", si->rsdp_paddr == l.rsdp_gpa &&
          l.rsdp_gpa >= PVH_ACPI_BASE && l.rsdp_gpa < PVH_ACPI_BASE + PVH_ACPI_PAGES * 4096,
          "%#llx", (unsigned long long)si->rsdp_paddr);
    CHECK("ACPI tables built", l.acpi_len > 0 && l.acpi_len <= sizeof(l.acpi) &&
          !memcmp(l.acpi + (l.rsdp_gpa - PVH_ACPI_BASE), "RSD PTR ", 8), "%zu bytes",
          l.acpi_len);

    rc = compute(256 * MiB, 0, NULL, 1, 1);
    si = (const void *)l.start_info;
    CHECK("no initrd, no command line", rc == 0 && si->nr_modules == 0 &&
          si->cmdline_paddr == 0 && l.start_info_gpa == align_page(debian.paddr_end),
          "%d: %s", rc, err);
}

static void test_big_memory(void)
{
    int rc = compute(5ull << 30, 1 << 20, NULL, 4, 4);
    uint64_t high = (5ull << 30) - 0xfc000000ull;
    CHECK("5 GiB: RAM split around the MMIO hole", rc == 0 && l.nr_memmap == 4 &&
          l.memmap[0].size == 0xfc000000ull && l.memmap[3].addr == 1ull << 32 &&
          l.memmap[3].size == high, "%d %s, %u entries", rc, err, l.nr_memmap);
    CHECK("5 GiB: both RAM ranges populated", l.nr_populate == 4 &&
          l.populate_pages == (5ull << 30) / 4096 + PVH_ACPI_PAGES + 8, "%llu",
          (unsigned long long)l.populate_pages);
    for (unsigned i = 1; i < l.nr_memmap; i++)
        if (l.memmap[i].addr < l.memmap[i - 1].addr + l.memmap[i - 1].size)
            CHECK("memory map sorted and disjoint", 0, "entry %u", i);
}

static void test_limits(void)
{
    int rc = compute(64 * MiB, 0, NULL, 1, 1);
    CHECK("64 MiB: the kernel does not fit", rc == LAYOUT_ERR_MEMORY &&
          strstr(err, "does not fit in the domain's 64 MiB"), "%d: %s", rc, err);
    rc = compute(80 * MiB, 16 * MiB, NULL, 1, 1);
    CHECK("80 MiB: the ramdisk does not fit", rc == LAYOUT_ERR_MEMORY &&
          strstr(err, "ramdisk"), "%d: %s", rc, err);
    /* The kernel ends at 74 MiB: a 75 MiB domain holds it, not the start info. */
    rc = compute(75 * MiB, 1 * MiB - 100, NULL, 1, 1);
    CHECK("start info that would not fit is refused", rc == LAYOUT_ERR_MEMORY &&
          strstr(err, "start-info"), "%d: %s", rc, err);
    rc = compute(2ull << 30, 1000 * MiB, NULL, 1, 1);
    CHECK("start info above 1 GiB is refused", rc == LAYOUT_ERR_MEMORY &&
          strstr(err, "below 1 GiB"), "%d: %s", rc, err);
    rc = compute(256 * MiB + 1, 0, NULL, 1, 1);
    CHECK("memory not a whole page refused", rc == LAYOUT_ERR_MEMORY, "%d", rc);

    char *cmd = malloc(LAYOUT_CMDLINE_MAX + 2);
    memset(cmd, 'x', LAYOUT_CMDLINE_MAX + 1);
    cmd[LAYOUT_CMDLINE_MAX + 1] = 0;
    rc = compute(256 * MiB, 0, cmd, 1, 1);
    CHECK("command line over 2047 bytes refused", rc == LAYOUT_ERR_CMDLINE, "%d: %s", rc, err);
    cmd[LAYOUT_CMDLINE_MAX] = 0;
    rc = compute(256 * MiB, 0, cmd, 1, 1);
    CHECK("command line of 2047 bytes accepted", rc == 0, "%d: %s", rc, err);
    free(cmd);

    rc = compute(256 * MiB, 0, NULL, 0, 0);
    CHECK("0 vCPUs refused", rc == LAYOUT_ERR_VCPUS, "%d: %s", rc, err);
    rc = compute(256 * MiB, 0, NULL, 64, 64);
    CHECK("64 vCPUs accepted", rc == 0, "%d: %s", rc, err);
    rc = compute(256 * MiB, 0, NULL, 4, 5);
    CHECK("more online than possible vCPUs refused", rc == LAYOUT_ERR_VCPUS, "%d: %s", rc, err);

    struct pvh_image high = debian;
    high.seg[0].paddr = 0xfff00000;
    high.paddr_end = 0xfff00000 + high.seg[0].memsz;
    struct layout_params p = { 8ull << 30, &high, 0, NULL, 1, 1 };
    rc = layout_compute(&p, &l, err, sizeof(err));
    CHECK("kernel in the MMIO hole refused", rc == LAYOUT_ERR_MEMORY, "%d: %s", rc, err);
}

static int runs_ok(uint64_t gfn, uint64_t nr)
{
    struct extent_run r[3];
    unsigned n = layout_extent_runs(gfn, nr, r);
    uint64_t at = gfn, total = 0;
    for (unsigned i = 0; i < n; i++) {
        if (r[i].gfn != at || !r[i].count)
            return 0;
        if (r[i].order && (r[i].order != 9 || r[i].gfn % 512))
            return 0;
        at += r[i].count << r[i].order;
        total += r[i].count << r[i].order;
    }
    return total == nr;
}

static void test_extent_runs(void)
{
    struct extent_run r[3];
    unsigned n = layout_extent_runs(0, 65536, r);
    CHECK("256 MiB from 0: 128 extents of 2 MiB", n == 1 && r[0].order == 9 && r[0].count == 128,
          "%u runs", n);
    n = layout_extent_runs(0xfeff8, 8, r);
    CHECK("8 special pages: single pages", n == 1 && r[0].order == 0 && r[0].count == 8,
          "%u runs", n);
    n = layout_extent_runs(100, 2000, r);
    CHECK("unaligned range: head, 2 MiB extents, tail", n == 3 && r[0].count == 412 &&
          r[1].gfn == 512 && r[1].count == 3 && r[2].gfn == 2048 && r[2].count == 52,
          "%u runs", n);
    CHECK("empty range: no runs", layout_extent_runs(5, 0, r) == 0, "runs");
    int good = 1;
    for (uint64_t g = 0; g < 1200 && good; g += 37)
        for (uint64_t len = 0; len < 3000 && good; len += 61)
            good = runs_ok(g, len);
    CHECK("runs cover every range exactly, aligned", good, "mismatch");
}

int main(void)
{
    TAP_PLAN(31);
    test_demo_layout();
    test_big_memory();
    test_limits();
    test_extent_runs();
    TAP_EXIT();
}
