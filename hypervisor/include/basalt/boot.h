/* What the boot loader told us, copied out of its structures. */
#ifndef BASALT_BOOT_H
#define BASALT_BOOT_H

#include <basalt/types.h>

#define MAX_MEM_RANGES 128
#define MAX_BOOT_MODULES 32

enum mem_type { MEM_RAM = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4, MEM_BAD = 5 };

struct mem_range {
    paddr_t start, end; /* [start, end) */
    uint32_t type;
};

struct boot_module {
    paddr_t start, end;
    const char *cmdline;
};

struct boot_info {
    const char *cmdline;
    struct mem_range mem[MAX_MEM_RANGES];
    unsigned int nr_mem;
    struct boot_module modules[MAX_BOOT_MODULES];
    unsigned int nr_modules;
    paddr_t rsdp; /* 0: search for it */
};

extern struct boot_info boot_info;

/* Parses the multiboot1 or multiboot2 information; panics on an unknown magic. */
void multiboot_parse(uint32_t magic, paddr_t info);

/* Hypervisor command line options, registered with the macros below. */
struct param {
    const char *name;
    enum { PARAM_UINT, PARAM_STR, PARAM_BOOL, PARAM_SIZE, PARAM_CUSTOM } kind;
    void *var;
    size_t len; /* PARAM_STR: buffer size */
    int (*custom)(const char *value);
};

#define PARAM_ENTRY(n, k, v, l, c)                                             \
    static const struct param __param_##v __attribute__((used, section(".params"), aligned(8))) = \
        { n, k, &v, l, c }
#define UINT_PARAM(name, var) PARAM_ENTRY(name, PARAM_UINT, var, 0, NULL)
#define BOOL_PARAM(name, var) PARAM_ENTRY(name, PARAM_BOOL, var, 0, NULL)
#define SIZE_PARAM(name, var) PARAM_ENTRY(name, PARAM_SIZE, var, 0, NULL)
#define STR_PARAM(name, var) PARAM_ENTRY(name, PARAM_STR, var, sizeof(var), NULL)
#define CUSTOM_PARAM(name, fn) \
    static const struct param __param_##fn __attribute__((used, section(".params"), aligned(8))) = \
        { name, PARAM_CUSTOM, NULL, 0, fn }

void cmdline_parse(const char *cmdline);
/* "64M", "1G", "4096K", "12345" (bytes) -> bytes; false if malformed. */
bool parse_size(const char *s, const char **end, uint64_t *out);
/* "0-3,5" -> a mask of CPUs below MAX_CPUS; false if malformed or empty. */
bool parse_cpu_list(const char *s, uint64_t *mask);

/* The common end of the boot (common/main.c), called by the architecture's
 * boot sequence on the bootstrap CPU once every CPU is up. */
void __noreturn start_domains(void);

#endif
