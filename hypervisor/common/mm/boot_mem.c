/*
 * Boot-time view of free RAM: the loader's RAM ranges minus what is in use
 * (the first MiB, the hypervisor image, the modules). Early allocations and
 * Dom0's 1:1 RAM are carved from here before the rest goes to the zones.
 */
#include <basalt/boot.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

#define MAX_FREE_RANGES 256

static struct mem_range free_ranges[MAX_FREE_RANGES];
static unsigned int nr_free;
static bool zones_populated;

extern char __image_start[], __image_end[];

bool mm_is_ram(paddr_t start, paddr_t end)
{
    /* Ranges may be split across adjacent entries; walk until covered. */
    paddr_t at = start;
    bool progress = true;
    while (at < end && progress) {
        progress = false;
        for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
            const struct mem_range *r = &boot_info.mem[i];
            if (r->type == MEM_RAM && r->start <= at && at < r->end) {
                at = r->end;
                progress = true;
            }
        }
    }
    return at >= end;
}

static void remove_range(paddr_t start, paddr_t end)
{
    for (unsigned int i = 0; i < nr_free; i++) {
        struct mem_range *r = &free_ranges[i];
        if (end <= r->start || start >= r->end)
            continue;
        if (start > r->start && end < r->end) {
            /* split */
            BUG_ON(nr_free == MAX_FREE_RANGES);
            free_ranges[nr_free++] = (struct mem_range){ end, r->end, MEM_RAM };
            r->end = start;
        } else if (start <= r->start && end >= r->end) {
            r->start = r->end = 0;
        } else if (start <= r->start) {
            r->start = end;
        } else {
            r->end = start;
        }
    }
}

bool mm_claim_range(paddr_t start, paddr_t end)
{
    uint64_t covered = 0;
    for (unsigned int i = 0; i < nr_free; i++) {
        const struct mem_range *r = &free_ranges[i];
        paddr_t s = MAX(start, r->start), e = MIN(end, r->end);
        if (s < e)
            covered += e - s;
    }
    remove_range(start, end);
    return covered == end - start;
}

void mm_release_range(paddr_t start, paddr_t end)
{
    BUG_ON(zones_populated);
    start = ALIGN_UP(start, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (start >= end)
        return;
    remove_range(start, end); /* never twice */
    BUG_ON(nr_free == MAX_FREE_RANGES);
    free_ranges[nr_free++] = (struct mem_range){ start, end, MEM_RAM };
}

unsigned int mm_free_ranges(struct mem_range *out, unsigned int max)
{
    unsigned int n = 0;
    for (unsigned int i = 0; i < nr_free && n < max; i++)
        if (free_ranges[i].end > free_ranges[i].start)
            out[n++] = free_ranges[i];
    /* ascending order */
    for (unsigned int i = 1; i < n; i++)
        for (unsigned int j = i; j > 0 && out[j].start < out[j - 1].start; j--) {
            struct mem_range t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

paddr_t mm_early_alloc(uint64_t size, uint64_t align, paddr_t limit)
{
    BUG_ON(zones_populated);
    size = ALIGN_UP(size, PAGE_SIZE);
    paddr_t best = 0;
    for (unsigned int i = 0; i < nr_free; i++) {
        const struct mem_range *r = &free_ranges[i];
        paddr_t top = MIN(r->end, limit);
        if (top < size)
            continue;
        paddr_t base = ALIGN_DOWN(top - size, align);
        if (base >= r->start && base + size <= top && base > best)
            best = base;
    }
    if (!best)
        panic("out of memory at boot (need %lu KiB below %#lx)",
              (size >> 10), limit);
    remove_range(best, best + size);
    memset(phys_to_virt(best), 0, size);
    return best;
}

static void build_free_ranges(void)
{
    for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
        const struct mem_range *r = &boot_info.mem[i];
        if (r->type != MEM_RAM)
            continue;
        paddr_t s = ALIGN_UP(r->start, PAGE_SIZE), e = ALIGN_DOWN(r->end, PAGE_SIZE);
        if (s < e && nr_free < MAX_FREE_RANGES)
            free_ranges[nr_free++] = (struct mem_range){ s, e, MEM_RAM };
    }
    /* Anything a loader or firmware might still use: the first MiB (the
     * trampoline page is claimed separately), our image, the modules. */
    remove_range(0, MiB(1));
    remove_range(virt_to_phys(__image_start), virt_to_phys(__image_end));
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const struct boot_module *m = &boot_info.modules[i];
        remove_range(ALIGN_DOWN(m->start, PAGE_SIZE), ALIGN_UP(m->end, PAGE_SIZE));
    }
}

paddr_t mm_ram_top(void)
{
    paddr_t top = 0;
    for (unsigned int i = 0; i < boot_info.nr_mem; i++)
        if (boot_info.mem[i].type == MEM_RAM)
            top = MAX(top, boot_info.mem[i].end);
    return top;
}

void directmap_init(paddr_t top);
void frame_table_init(void);

void mm_init(void)
{
    build_free_ranges();
    directmap_init(mm_ram_top());
    frame_table_init();
}

void zone_add_range(paddr_t start, paddr_t end, enum zone_id z);

/* How much of the free memory the hypervisor keeps for itself (heap, page
 * tables, VMCBs); the rest becomes the DomU pool. */
static uint64_t opt_hv_mem;
SIZE_PARAM("hv_mem", opt_hv_mem);

void mm_populate_zones(void)
{
    uint64_t total = 0;
    for (unsigned int i = 0; i < nr_free; i++)
        total += free_ranges[i].end - free_ranges[i].start;
    uint64_t hv_budget = opt_hv_mem ? opt_hv_mem : MiB(32) + total / 32;
    if (hv_budget > total / 2)
        hv_budget = total / 2;

    /* The hypervisor takes the highest memory: low memory stays contiguous
     * for domains and for Dom0's 1:1 RAM. */
    while (hv_budget >= PAGE_SIZE) {
        struct mem_range *top = NULL;
        for (unsigned int i = 0; i < nr_free; i++)
            if (free_ranges[i].end > free_ranges[i].start && (!top || free_ranges[i].end > top->end))
                top = &free_ranges[i];
        if (!top)
            break;
        paddr_t start = top->end - MIN(hv_budget, top->end - top->start);
        zone_add_range(start, top->end, ZONE_HV);
        hv_budget -= top->end - start;
        top->end = start;
    }
    for (unsigned int i = 0; i < nr_free; i++)
        if (free_ranges[i].end > free_ranges[i].start)
            zone_add_range(free_ranges[i].start, free_ranges[i].end, ZONE_POOL);
    nr_free = 0;
    zones_populated = true;
}
