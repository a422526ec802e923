/* ELF parsing for PVH kernels (see pvh_elf.h). */
#include "pvh_elf.h"

#include <xen/elfnote.h>

#define PT_LOAD 1
#define PT_NOTE 4
#define EM_386 3
#define EM_X86_64 62
#define ET_EXEC 2
#define ELFCLASS32 1
#define ELFCLASS64 2
#define MAX_PHDRS 64
/* A guest kernel loads below 4 GiB: the PVH entry is 32-bit. */
#define MAX_PADDR (1ULL << 32)

struct phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool in_file(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

/* Scans a PT_NOTE segment for Xen's PHYS32_ENTRY. */
static bool find_entry(const uint8_t *notes, uint64_t size, uint32_t *entry)
{
    uint64_t off = 0;
    while (size - off >= 12) {
        uint32_t namesz = rd32(notes + off), descsz = rd32(notes + off + 4);
        uint32_t type = rd32(notes + off + 8);
        uint64_t name_off = off + 12;
        uint64_t desc_off = name_off + (((uint64_t)namesz + 3) & ~3ULL);
        uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ULL);
        if (desc_off > size || next > size)
            return false;
        if (namesz == 4 && !memcmp(notes + name_off, "Xen", 4) &&
            type == XEN_ELFNOTE_PHYS32_ENTRY && (descsz == 4 || descsz == 8)) {
            *entry = rd32(notes + desc_off);
            return true;
        }
        off = next;
    }
    return false;
}

int pvh_elf_parse(const void *image, size_t len, struct pvh_image *out, const char **err)
{
    const uint8_t *b = image;
    memset(out, 0, sizeof(*out));
    if (len < 52 || memcmp(b, "\177ELF", 4)) {
        *err = "not an ELF file (a bzImage must be unpacked to its vmlinux first)";
        return -1;
    }
    bool is64 = b[4] == ELFCLASS64;
    if ((b[4] != ELFCLASS32 && !is64) || b[5] != 1) {
        *err = "not a little-endian 32- or 64-bit ELF file";
        return -1;
    }
    if (is64 && len < 64) {
        *err = "truncated ELF header";
        return -1;
    }
    uint16_t machine = rd16(b + 18);
    if (rd16(b + 16) != ET_EXEC || (machine != EM_X86_64 && machine != EM_386)) {
        *err = "not an x86 executable ELF file";
        return -1;
    }
    uint64_t phoff = is64 ? rd64(b + 32) : rd32(b + 28);
    uint16_t phentsize = rd16(b + (is64 ? 54 : 42));
    uint16_t phnum = rd16(b + (is64 ? 56 : 44));
    if (phnum == 0 || phnum > MAX_PHDRS || phentsize < (is64 ? 56 : 32) ||
        !in_file(len, phoff, (uint64_t)phentsize * phnum)) {
        *err = "bad program header table";
        return -1;
    }

    bool have_entry = false;
    out->paddr_start = ~0ULL;
    for (unsigned int i = 0; i < phnum; i++) {
        const uint8_t *p = b + phoff + (uint64_t)i * phentsize;
        struct phdr ph;
        ph.type = rd32(p);
        if (is64) {
            ph.offset = rd64(p + 8);
            ph.paddr = rd64(p + 24);
            ph.filesz = rd64(p + 32);
            ph.memsz = rd64(p + 40);
        } else {
            ph.offset = rd32(p + 4);
            ph.paddr = rd32(p + 12);
            ph.filesz = rd32(p + 16);
            ph.memsz = rd32(p + 20);
        }
        if (ph.type == PT_NOTE) {
            if (!in_file(len, ph.offset, ph.filesz)) {
                *err = "note segment outside the file";
                return -1;
            }
            if (!have_entry)
                have_entry = find_entry(b + ph.offset, ph.filesz, &out->entry);
            continue;
        }
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        if (ph.filesz > ph.memsz || !in_file(len, ph.offset, ph.filesz)) {
            *err = "loadable segment outside the file";
            return -1;
        }
        if (ph.paddr >= MAX_PADDR || ph.memsz > MAX_PADDR - ph.paddr) {
            *err = "loadable segment above 4 GiB";
            return -1;
        }
        if (out->nr_segments == PVH_MAX_SEGMENTS) {
            *err = "too many loadable segments";
            return -1;
        }
        out->seg[out->nr_segments++] = (struct pvh_segment){ ph.paddr, ph.offset, ph.filesz, ph.memsz };
        if (ph.paddr < out->paddr_start)
            out->paddr_start = ph.paddr;
        if (ph.paddr + ph.memsz > out->paddr_end)
            out->paddr_end = ph.paddr + ph.memsz;
    }
    if (!out->nr_segments) {
        *err = "no loadable segments";
        return -1;
    }
    if (!have_entry) {
        *err = "no Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): not a PVH kernel";
        return -1;
    }
    if (out->entry < out->paddr_start || out->entry >= out->paddr_end) {
        *err = "PVH entry point outside the loaded image";
        return -1;
    }
    /* Segments must not overlap each other. */
    for (unsigned int i = 0; i < out->nr_segments; i++)
        for (unsigned int j = i + 1; j < out->nr_segments; j++) {
            const struct pvh_segment *x = &out->seg[i], *y = &out->seg[j];
            if (x->paddr < y->paddr + y->memsz && y->paddr < x->paddr + x->memsz) {
                *err = "overlapping loadable segments";
                return -1;
            }
        }
    return 0;
}

bool pvh_elf_in_place_order(const struct pvh_image *img, uint64_t file_at,
                            unsigned int order[PVH_MAX_SEGMENTS])
{
    unsigned int n = img->nr_segments;
    for (unsigned int i = 0; i < n; i++)
        order[i] = i;
    for (unsigned int i = 1; i < n; i++)
        for (unsigned int j = i; j > 0 && img->seg[order[j]].paddr > img->seg[order[j - 1]].paddr; j--) {
            unsigned int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (unsigned int i = 0; i < n; i++) {
        const struct pvh_segment *w = &img->seg[order[i]];
        for (unsigned int j = i + 1; j < n; j++) {
            const struct pvh_segment *r = &img->seg[order[j]];
            /* Overflow-proof: file_at + offset may wrap for a hostile file. */
            uint64_t src = file_at + r->offset;
            if (src < file_at || r->filesz > UINT64_MAX - src)
                return false;
            if (r->filesz && w->paddr < src + r->filesz && src < w->paddr + w->memsz)
                return false;
        }
    }
    return true;
}

void pvh_elf_load_in_place(const struct pvh_image *img, uint64_t file_at,
                           const unsigned int order[PVH_MAX_SEGMENTS], uintptr_t phys_base)
{
    for (unsigned int i = 0; i < img->nr_segments; i++) {
        const struct pvh_segment *s = &img->seg[order[i]];
        memmove((void *)(phys_base + s->paddr), (const void *)(phys_base + file_at + s->offset), s->filesz);
        memset((void *)(phys_base + s->paddr + s->filesz), 0, s->memsz - s->filesz);
    }
}
