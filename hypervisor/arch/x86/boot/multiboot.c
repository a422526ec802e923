/*
 * Multiboot 1 and 2 information, copied into boot_info so that the loader's
 * memory can be reused. Module contents stay where the loader put them.
 */
#include <basalt/boot.h>
#include <basalt/lib.h>

#define MB1_BOOT_MAGIC 0x2badb002
#define MB2_BOOT_MAGIC 0x36d76289

struct boot_info boot_info;

static char cmdline_buf[2048];
static char strings_buf[16384];
static size_t strings_used;

/* GRUB 2 passes command lines without the image's name; QEMU and older
 * loaders put the name first. We keep only the arguments. */
static bool loader_strips_name;

static const char *skip_name(const char *s)
{
    while (*s == ' ')
        s++;
    if (!loader_strips_name)
        while (*s && *s != ' ')
            s++;
    while (*s == ' ')
        s++;
    return s;
}

static void set_loader(const char *name)
{
    loader_strips_name = name && !strncmp(name, "GRUB 2", 6);
}

static const char *save_string(const char *s)
{
    size_t n = strnlen(s, 4096);
    if (strings_used + n + 1 > sizeof(strings_buf))
        panic("multiboot: module command lines exceed %zu bytes", sizeof(strings_buf));
    char *dst = strings_buf + strings_used;
    memcpy(dst, s, n);
    dst[n] = '\0';
    strings_used += n + 1;
    return dst;
}

static void add_mem(uint64_t base, uint64_t len, uint32_t type)
{
    if (!len || boot_info.nr_mem == MAX_MEM_RANGES)
        return;
    struct mem_range *r = &boot_info.mem[boot_info.nr_mem++];
    r->start = base;
    r->end = base + len;
    r->type = type >= MEM_RAM && type <= MEM_BAD ? type : MEM_RESERVED;
}

static void add_module(uint64_t start, uint64_t end, const char *cmdline)
{
    if (boot_info.nr_modules == MAX_BOOT_MODULES)
        panic("multiboot: more than %d modules", MAX_BOOT_MODULES);
    struct boot_module *m = &boot_info.modules[boot_info.nr_modules++];
    m->start = start;
    m->end = end;
    m->cmdline = save_string(cmdline ? skip_name(cmdline) : "");
}

struct mb1_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr, config_table, boot_loader_name;
} __packed;

struct mb1_module {
    uint32_t start, end, string, reserved;
} __packed;

struct mb1_mmap {
    uint32_t size;
    uint64_t base, len;
    uint32_t type;
} __packed;

static void parse_mb1(const struct mb1_info *mbi)
{
    if (mbi->flags & BIT(9))
        set_loader((const char *)(uintptr_t)mbi->boot_loader_name);
    if (mbi->flags & BIT(2))
        strlcpy(cmdline_buf, skip_name((const char *)(uintptr_t)mbi->cmdline), sizeof(cmdline_buf));
    if (mbi->flags & BIT(3)) {
        const struct mb1_module *mod = (const void *)(uintptr_t)mbi->mods_addr;
        for (uint32_t i = 0; i < mbi->mods_count; i++)
            add_module(mod[i].start, mod[i].end, (const char *)(uintptr_t)mod[i].string);
    }
    if (mbi->flags & BIT(6)) {
        uintptr_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
        while (p < end) {
            const struct mb1_mmap *e = (const void *)p;
            add_mem(e->base, e->len, e->type);
            p += e->size + 4;
        }
    } else if (mbi->flags & BIT(0)) {
        add_mem(0, (uint64_t)mbi->mem_lower << 10, MEM_RAM);
        add_mem(MiB(1), (uint64_t)mbi->mem_upper << 10, MEM_RAM);
    }
}

struct mb2_tag {
    uint32_t type, size;
};

static uint8_t rsdp_copy[64] __aligned(16);

static void parse_mb2(uintptr_t info)
{
    uint32_t total = *(const uint32_t *)info;
    /* The loader's name comes first so that command lines are read right. */
    for (uintptr_t p = info + 8; p + 8 <= info + total;) {
        const struct mb2_tag *tag = (const void *)p;
        if (tag->type == 0 || tag->size < 8)
            break;
        if (tag->type == 2)
            set_loader((const char *)(p + 8));
        p += ALIGN_UP(tag->size, 8);
    }
    for (uintptr_t p = info + 8; p + 8 <= info + total;) {
        const struct mb2_tag *tag = (const void *)p;
        const uint32_t *body = (const uint32_t *)(p + 8);
        if (tag->type == 0 || tag->size < 8)
            break;
        switch (tag->type) {
        case 1: /* command line */
            strlcpy(cmdline_buf, skip_name((const char *)body), sizeof(cmdline_buf));
            break;
        case 3: /* module */
            add_module(body[0], body[1], (const char *)&body[2]);
            break;
        case 6: { /* memory map */
            uint32_t esize = body[0];
            for (uintptr_t e = p + 16; esize && e + esize <= p + tag->size; e += esize) {
                const uint64_t *ent = (const uint64_t *)e;
                add_mem(ent[0], ent[1], (uint32_t)ent[2]);
            }
            break;
        }
        case 14: /* ACPI 1.0 RSDP */
        case 15: /* ACPI 2.0 RSDP */
            if (tag->type == 15 || !boot_info.rsdp) {
                size_t n = MIN(tag->size - 8, sizeof(rsdp_copy));
                memcpy(rsdp_copy, body, n);
                boot_info.rsdp = (paddr_t)(uintptr_t)rsdp_copy;
            }
            break;
        }
        p += ALIGN_UP(tag->size, 8);
    }
}

void multiboot_parse(uint32_t magic, paddr_t info)
{
    boot_info.cmdline = cmdline_buf;
    set_loader(NULL);
    if (magic == MB1_BOOT_MAGIC)
        parse_mb1((const struct mb1_info *)(uintptr_t)info);
    else if (magic == MB2_BOOT_MAGIC)
        parse_mb2((uintptr_t)info);
    else
        panic("not started by a multiboot loader (magic %#x)", magic);
}
