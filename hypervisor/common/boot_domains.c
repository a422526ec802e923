/*
 * Boot-time domains: reading the module strings (see boot_domains.h),
 * building each domain, rebuilding one that reboots. A malformed string is
 * reported with the module and the reason; that domain is skipped, the
 * others are built.
 */
#include <basalt/arch.h>
#include <basalt/boot.h>
#include <basalt/boot_domains.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>

#define MAX_BOOT_DOMAINS 16

static struct boot_domain_spec specs[MAX_BOOT_DOMAINS];
static unsigned int nr_specs;

char opt_dom0[16] = "pvh";
STR_PARAM("dom0", opt_dom0);

/* Splits off the next space-separated word of *s into buf. */
static bool next_word(const char **s, char *buf, size_t len)
{
    const char *p = *s;
    while (*p == ' ')
        p++;
    if (!*p)
        return false;
    size_t n = 0;
    while (p[n] && p[n] != ' ')
        n++;
    if (n >= len)
        n = len - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    while (*p && *p != ' ')
        p++;
    *s = p;
    return true;
}

static bool valid_name(const char *name)
{
    if (!*name)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

static bool parse_number(const char *s, uint64_t *out)
{
    const char *end;
    *out = strtou64(s, &end, 10);
    return end != s && *end == '\0';
}

static const char *parse_domain_module(unsigned int idx, const char *args, struct boot_domain_spec *spec)
{
    char word[256];
    memset(spec, 0, sizeof(*spec));
    spec->vcpus = 1;
    spec->memory_mb = 0;
    spec->weight = SCHED_DEFAULT_WEIGHT;
    spec->kernel_module = (int)idx;
    spec->initrd_module = -1;
    spec->firmware_module = -1;
    while (next_word(&args, word, sizeof(word))) {
        if (!strcmp(word, "--")) {
            while (*args == ' ')
                args++;
            if (strlen(args) >= sizeof(spec->cmdline))
                return "kernel command line too long";
            strlcpy(spec->cmdline, args, sizeof(spec->cmdline));
            break;
        }
        char *eq = strchr(word, '=');
        if (!eq)
            return "expected key=value or '--'";
        *eq = '\0';
        const char *key = word, *val = eq + 1;
        uint64_t n;
        if (!strcmp(key, "name")) {
            if (strlen(val) >= sizeof(spec->name) || !valid_name(val))
                return "bad name (letters, digits, '-', '_', '.'; at most 63)";
            strlcpy(spec->name, val, sizeof(spec->name));
        } else if (!strcmp(key, "vcpus")) {
            if (!parse_number(val, &n) || n < 1 || n > MAX_VCPUS_PER_DOMAIN)
                return "vcpus must be 1..64";
            spec->vcpus = (unsigned int)n;
        } else if (!strcmp(key, "memory")) {
            if (!parse_number(val, &n) || n < 1 || n > 1024 * 1024)
                return "memory must be a number of MiB";
            spec->memory_mb = n;
        } else if (!strcmp(key, "weight")) {
            if (!parse_number(val, &n) || n < 1 || n > 65535)
                return "weight must be 1..65535";
            spec->weight = (uint32_t)n;
        } else if (!strcmp(key, "cap")) {
            if (!parse_number(val, &n) || n > 100 * MAX_CPUS)
                return "cap must be a percentage of one CPU";
            spec->cap = (uint32_t)n;
        } else if (!strcmp(key, "cpus")) {
            if (!parse_cpu_list(val, &spec->cpus))
                return "cpus must be a list like 1-3,5";
        } else if (!strcmp(key, "type")) {
            if (strcmp(val, "pvh") && strcmp(val, "hvm"))
                return "type must be pvh or hvm";
            spec->hvm = !strcmp(val, "hvm");
        } else {
            return "unknown key (name, vcpus, memory, type, weight, cap, cpus)";
        }
    }
    if (!spec->name[0])
        return "name= is required";
    if (!spec->memory_mb)
        return "memory= is required";
    for (unsigned int i = 0; i < nr_specs; i++)
        if (!strcmp(specs[i].name, spec->name))
            return "a domain with this name already exists";
    return NULL;
}

int boot_domain_create(struct boot_domain_spec *spec, uint64_t max_pages, bool hvm, struct domain **d)
{
    struct domain_config cfg = {
        .id = spec->domid,
        .name = spec->name,
        .max_vcpus = spec->vcpus,
        .max_pages = max_pages,
        .weight = spec->weight,
        .cap = spec->cap,
        .affinity = spec->cpus & guest_cpus_mask(),
        .boot_spec = spec,
        .hvm = hvm,
    };
    int rc = domain_create(&cfg, d);
    if (rc)
        pr_err("domain %u (%s): cannot create (%s)\n", spec->domid, spec->name,
               rc == -EEXIST ? "id in use" : "out of memory");
    return rc;
}

int boot_domain_fail(struct domain *d, const char *why)
{
    domain_destroy(d, "build failed: %s", why);
    return -EINVAL;
}

void boot_domain_start(struct domain *d, uint32_t entry, uint32_t start_info)
{
    arch_vcpu_set_pvh_entry(d->vcpus[0], entry, start_info);
    d->state = DOMAIN_RUNNING;
    pr_notice("domain %u (%s) created%s\n", d->id, d->name, d->boot_spec && d->boot_spec->hvm ? " (HVM)" : "");
    vcpu_start(d->vcpus[0]);
}

static int build(struct boot_domain_spec *spec)
{
    return spec->hvm ? hvm_build_boot_domain(spec) : pvh_build_boot_domain(spec);
}

static void module_error(unsigned int idx, const char *reason)
{
    pr_err("module %u (%s): %s; domain not built\n", idx, boot_info.modules[idx].cmdline, reason);
}

void domains_boot_prepare(void)
{
    dom0_prepare();
}

void domains_boot_create(void)
{
    char word[256];
    if (dom0_plan.present)
        dom0_build(); /* first: Dom0 is the one that makes the machine useful */
    /* First pass: domain modules. */
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const char *args = boot_info.modules[i].cmdline;
        if (!next_word(&args, word, sizeof(word)))
            continue;
        if (strcmp(word, "domain"))
            continue;
        if (nr_specs == MAX_BOOT_DOMAINS) {
            module_error(i, "too many boot-time domains");
            continue;
        }
        const char *err = parse_domain_module(i, args, &specs[nr_specs]);
        if (err) {
            module_error(i, err);
            continue;
        }
        nr_specs++;
    }
    /* Second pass: initrds and firmware name their domain. */
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const char *args = boot_info.modules[i].cmdline;
        if (!next_word(&args, word, sizeof(word)) || (strcmp(word, "initrd") && strcmp(word, "firmware")))
            continue;
        bool firmware = !strcmp(word, "firmware");
        if (!next_word(&args, word, sizeof(word)) || strncmp(word, "name=", 5)) {
            module_error(i, firmware ? "a firmware module needs name=DOMAIN" : "an initrd module needs name=DOMAIN");
            continue;
        }
        struct boot_domain_spec *owner = NULL;
        for (unsigned int s = 0; s < nr_specs; s++)
            if (!strcmp(specs[s].name, word + 5))
                owner = &specs[s];
        int *slot = owner ? (firmware ? &owner->firmware_module : &owner->initrd_module) : NULL;
        if (!owner)
            module_error(i, firmware ? "firmware for a domain that is not defined" : "initrd for a domain that is not defined");
        else if (firmware && !owner->hvm)
            module_error(i, "firmware is for an HVM domain (type=hvm)");
        else if (*slot >= 0)
            module_error(i, firmware ? "that domain already has its firmware" : "that domain already has an initrd");
        else
            *slot = (int)i;
    }
    /* Untagged modules beyond Dom0's kernel and initrd have no owner. */
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const char *args = boot_info.modules[i].cmdline;
        if (next_word(&args, word, sizeof(word)) &&
            (!strcmp(word, "domain") || !strcmp(word, "initrd") || !strcmp(word, "firmware")))
            continue;
        if (!dom0_plan.present || ((int)i != dom0_plan.kernel_module && (int)i != dom0_plan.initrd_module))
            pr_warn("module %u (%s): not a domain, initrd or Dom0 module; ignored\n", i,
                    boot_info.modules[i].cmdline);
    }

    for (unsigned int i = 0; i < nr_specs; i++) {
        specs[i].domid = (uint16_t)(i + 1);
        build(&specs[i]);
    }
}

void boot_domain_schedule_rebuild(const struct boot_domain_spec *spec)
{
    ((struct boot_domain_spec *)spec)->rebuild = true;
}

void boot_domains_after_destroy(uint16_t domid)
{
    for (unsigned int i = 0; i < nr_specs; i++) {
        if (specs[i].domid == domid && specs[i].rebuild) {
            specs[i].rebuild = false;
            build(&specs[i]);
        }
    }
}
