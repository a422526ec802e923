/* The PVH start-info block and a DomU's memory map (see pvh_layout.h). */
#include "pvh_layout.h"

unsigned int pvh_domu_memmap(uint64_t mem, struct hvm_memmap_table_entry *map)
{
    unsigned int n = 0;
    uint64_t low = mem < PVH_LOWMEM_END ? mem : PVH_LOWMEM_END;
    map[n++] = (struct hvm_memmap_table_entry){ 0, low, XEN_HVM_MEMMAP_TYPE_RAM, 0 };
    map[n++] = (struct hvm_memmap_table_entry){ PVH_ACPI_BASE, PVH_ACPI_PAGES * PVH_PAGE_SIZE,
                                                XEN_HVM_MEMMAP_TYPE_ACPI, 0 };
    map[n++] = (struct hvm_memmap_table_entry){ PVH_SPECIAL_START,
                                                PVH_SPECIAL_END - PVH_SPECIAL_START,
                                                XEN_HVM_MEMMAP_TYPE_RESERVED, 0 };
    if (mem > low)
        map[n++] = (struct hvm_memmap_table_entry){ PVH_HIGHMEM_START, mem - low,
                                                    XEN_HVM_MEMMAP_TYPE_RAM, 0 };
    return n;
}

static size_t align8(size_t x)
{
    return (x + 7) & ~(size_t)7;
}

size_t pvh_build_start_info(void *buf, size_t buflen, uint64_t gpa, const struct pvh_start_params *p)
{
    uint8_t *b = buf;
    size_t cmdlen = p->cmdline ? strlen(p->cmdline) + 1 : 0;
    size_t off_cmd = align8(sizeof(struct hvm_start_info));
    size_t off_mod = off_cmd + align8(cmdlen);
    size_t off_modcmd = off_mod + (p->initrd_size ? sizeof(struct hvm_modlist_entry) : 0);
    size_t modcmdlen = p->initrd_size && p->initrd_cmdline ? strlen(p->initrd_cmdline) + 1 : 0;
    size_t off_map = off_modcmd + align8(modcmdlen);
    size_t total = off_map + p->memmap_entries * sizeof(struct hvm_memmap_table_entry);
    if (total > buflen)
        return 0;
    memset(b, 0, total);

    struct hvm_start_info *si = (struct hvm_start_info *)b;
    si->magic = XEN_HVM_START_MAGIC_VALUE;
    si->version = 1;
    si->flags = p->flags;
    si->rsdp_paddr = p->rsdp_gpa;
    if (cmdlen) {
        memcpy(b + off_cmd, p->cmdline, cmdlen);
        si->cmdline_paddr = gpa + off_cmd;
    }
    if (p->initrd_size) {
        struct hvm_modlist_entry *m = (struct hvm_modlist_entry *)(b + off_mod);
        m->paddr = p->initrd_gpa;
        m->size = p->initrd_size;
        if (modcmdlen) {
            memcpy(b + off_modcmd, p->initrd_cmdline, modcmdlen);
            m->cmdline_paddr = gpa + off_modcmd;
        }
        si->nr_modules = 1;
        si->modlist_paddr = gpa + off_mod;
    }
    memcpy(b + off_map, p->memmap, p->memmap_entries * sizeof(struct hvm_memmap_table_entry));
    si->memmap_paddr = gpa + off_map;
    si->memmap_entries = p->memmap_entries;
    return total;
}
