/*
 * Choosing Dom0's memory at boot. Dom0's RAM is the machine's own RAM from
 * address 0 up (1:1), so the Linux kernel, which must sit at 16 MiB, lands
 * where it wants. Multiboot modules that a loader put in that range are
 * moved to high memory first; the hypervisor keeps its image and whatever
 * it allocated at the top of RAM.
 */
#include <basalt/boot.h>
#include <basalt/dom0.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <lib/pvh_elf.h>

struct dom0_plan dom0_plan;

static uint64_t opt_dom0_mem;
SIZE_PARAM("dom0_mem", opt_dom0_mem);
static unsigned int opt_dom0_vcpus = 1;
UINT_PARAM("dom0_vcpus", opt_dom0_vcpus);

extern char opt_dom0[];

/* The first two modules without a "domain"/"initrd" tag are Dom0's. */
static void find_modules(void)
{
    dom0_plan.kernel_module = dom0_plan.initrd_module = -1;
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const char *s = boot_info.modules[i].cmdline;
        if (!strncmp(s, "domain ", 7) || !strcmp(s, "domain") || !strncmp(s, "initrd ", 7))
            continue;
        if (dom0_plan.kernel_module < 0)
            dom0_plan.kernel_module = (int)i;
        else if (dom0_plan.initrd_module < 0)
            dom0_plan.initrd_module = (int)i;
    }
}

static uint64_t total_ram(void)
{
    uint64_t t = 0;
    for (unsigned int i = 0; i < boot_info.nr_mem; i++)
        if (boot_info.mem[i].type == MEM_RAM)
            t += boot_info.mem[i].end - boot_info.mem[i].start;
    return t;
}

static void release_pages_of(paddr_t start, paddr_t end)
{
    mm_release_range(ALIGN_DOWN(start, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE));
}

/*
 * Copying modules costs boot time (80 MB for Debian's vmlinux and our
 * initrd), so Dom0's own modules stay where the loader put them when they
 * can: the kernel if its segments load from there without overwriting
 * bytes still to be read (dom0_build loads them in that order), the initrd
 * if the kernel does not load over it. They are released here so that
 * Dom0's RAM, claimed next, covers them; keep_outside_dom0() takes back
 * whatever Dom0 did not get. Every other module (a boot-time DomU's) moves
 * to the highest free memory, out of Dom0's reach. A kernel that does not
 * parse moves too; dom0_build reports why. stays[i]: module i was left.
 */
static void place_modules(bool stays[MAX_BOOT_MODULES])
{
    const struct boot_module *km = &boot_info.modules[dom0_plan.kernel_module];
    struct pvh_image img;
    unsigned int order[PVH_MAX_SEGMENTS];
    const char *err;
    bool parsed = !pvh_elf_parse(phys_to_virt(km->start), km->end - km->start, &img, &err);
    stays[dom0_plan.kernel_module] = parsed && pvh_elf_in_place_order(&img, km->start, order);
    if (dom0_plan.initrd_module >= 0) {
        const struct boot_module *im = &boot_info.modules[dom0_plan.initrd_module];
        stays[dom0_plan.initrd_module] = parsed && (im->end <= img.paddr_start || im->start >= img.paddr_end);
    }
    /* All copies first, then all releases: a copy must not land on a
     * module still to be read (modules may share a page). */
    struct mem_range old[MAX_BOOT_MODULES];
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        struct boot_module *m = &boot_info.modules[i];
        old[i] = (struct mem_range){ m->start, m->end, MEM_RAM };
        if (stays[i] || m->end == m->start)
            continue;
        uint64_t size = m->end - m->start;
        paddr_t to = mm_early_alloc(size, PAGE_SIZE, ~0ULL);
        memcpy(phys_to_virt(to), phys_to_virt(m->start), size);
        m->start = to;
        m->end = to + size;
    }
    for (unsigned int i = 0; i < boot_info.nr_modules; i++)
        if (old[i].end > old[i].start)
            release_pages_of(old[i].start, old[i].end);
}

/* The parts of a module left in place that Dom0's RAM does not cover go
 * back to the hypervisor: nothing was allocated since they were released,
 * so their bytes are intact. */
static void keep_outside_dom0(const struct boot_module *m)
{
    paddr_t at = ALIGN_DOWN(m->start, PAGE_SIZE), end = ALIGN_UP(m->end, PAGE_SIZE);
    while (at < end) {
        paddr_t next = end;
        bool owned = false;
        for (unsigned int i = 0; i < dom0_plan.nr_ram; i++) {
            const struct mem_range *r = &dom0_plan.ram[i];
            if (r->start <= at && at < r->end) {
                owned = true;
                next = MIN(r->end, end);
            } else if (r->start > at && r->start < next) {
                next = r->start;
            }
        }
        if (!owned && !mm_claim_range(at, next))
            panic("Dom0: module memory %#lx-%#lx was taken", at, next);
        at = next;
    }
}

static void add_ram(paddr_t start, paddr_t end)
{
    if (start >= end)
        return;
    if (dom0_plan.nr_ram && dom0_plan.ram[dom0_plan.nr_ram - 1].end == start) {
        dom0_plan.ram[dom0_plan.nr_ram - 1].end = end; /* contiguous: one range */
        return;
    }
    if (dom0_plan.nr_ram == DOM0_MAX_RAM_RANGES)
        panic("Dom0: too many memory ranges");
    dom0_plan.ram[dom0_plan.nr_ram++] = (struct mem_range){ start, end, MEM_RAM };
}

bool dom0_owns_ram(paddr_t start, paddr_t end)
{
    for (unsigned int i = 0; i < dom0_plan.nr_ram; i++)
        if (start >= dom0_plan.ram[i].start && end <= dom0_plan.ram[i].end)
            return true;
    return false;
}

void dom0_prepare(void)
{
    find_modules();
    if (!strcmp(opt_dom0, "none") || dom0_plan.kernel_module < 0)
        return;
    dom0_plan.present = true;

    uint64_t want = opt_dom0_mem;
    if (!want) {
        want = total_ram() / 4;
        want = MAX(want, MiB(256));
        want = MIN(want, GiB(4));
    }
    want = ALIGN_UP(want, PAGE_SIZE);

    bool stays[MAX_BOOT_MODULES] = { false }; /* left where the loader put them */
    place_modules(stays);

    /* The machine's RAM below 1 MiB (the BIOS data areas, the real-mode
     * trampoline Linux needs), then free RAM upwards. */
    uint64_t got = 0;
    for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
        const struct mem_range *r = &boot_info.mem[i];
        if (r->type != MEM_RAM || r->start >= MiB(1))
            continue;
        paddr_t s = ALIGN_UP(r->start, PAGE_SIZE), e = ALIGN_DOWN(MIN(r->end, MiB(1)), PAGE_SIZE);
        if (s < e) {
            add_ram(s, e);
            got += e - s;
        }
    }
    struct mem_range free[128];
    unsigned int n = mm_free_ranges(free, ARRAY_SIZE(free));
    for (unsigned int i = 0; i < n && got < want; i++) {
        paddr_t s = MAX(free[i].start, MiB(1));
        paddr_t e = MIN(free[i].end, s + (want - got));
        if (s >= e)
            continue;
        if (!mm_claim_range(s, e))
            panic("Dom0: memory %#lx-%#lx is not free", s, e);
        add_ram(s, e);
        got += e - s;
    }
    if (got < want)
        pr_warn("Dom0: asked for %lu MiB, only %lu MiB free\n", want >> 20, got >> 20);

    for (unsigned int i = 0; i < boot_info.nr_modules; i++)
        if (stays[i])
            keep_outside_dom0(&boot_info.modules[i]);

    for (unsigned int i = 0; i < dom0_plan.nr_ram; i++)
        for (mfn_t m = dom0_plan.ram[i].start >> PAGE_SHIFT; m < dom0_plan.ram[i].end >> PAGE_SHIFT; m++)
            if (m < max_mfn)
                mfn_to_page(m)->owner = 0;

    dom0_plan.nr_vcpus = MAX(opt_dom0_vcpus, 1u);
    pr_info("Dom0: %lu MiB of RAM in %u ranges, %u vCPUs\n", got >> 20, dom0_plan.nr_ram,
            dom0_plan.nr_vcpus);
}
