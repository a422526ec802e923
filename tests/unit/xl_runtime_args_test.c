/*
 * The arguments and limits of xl's commands for a running domain
 * (dom0/xl/runtime_args.c: vcpu-set, vcpu-pin, mem-set, mem-max,
 * sched-credit) and CPU lists as 64-bit masks (dom0/xl/cpumap.c).
 */
#include "tests/lib/tap.h"

#include "dom0/xl/cfg_error.c"
#include "dom0/xl/cpumap.c"
#include "dom0/xl/runtime_args.c"

#include <string.h>

static char why[256];

static uint64_t mem(const char *text)
{
    uint64_t kib = ~0ull;
    why[0] = 0;
    return runtime_parse_mem_kib(text, &kib, why, sizeof(why)) ? ~0ull : kib;
}

static void test_sizes(void)
{
    CHECK("a bare number is MiB (xl's default unit)", mem("256") == 256 * 1024, "%s", why);
    CHECK("units b k m g t, either case", mem("4096b") == 4 && mem("512k") == 512 &&
          mem("512K") == 512 && mem("3m") == 3072 && mem("1G") == 1024 * 1024 &&
          mem("1t") == 1024ull * 1024 * 1024, "%s", why);
    CHECK("0 is a size", mem("0") == 0, "%s", why);
    CHECK("no number refused", mem("") == ~0ull && mem("m") == ~0ull && mem("-5") == ~0ull &&
          strstr(why, "invalid size"), "%s", why);
    CHECK("an unknown unit refused, named", mem("5q") == ~0ull && strstr(why, "unknown unit 'q'"),
          "%s", why);
    CHECK("anything after the unit refused", mem("5mb") == ~0ull && mem("5 m") == ~0ull, "%s",
          why);
    CHECK("more than 1 TiB refused", mem("2t") == ~0ull && mem("1025g") == ~0ull &&
          mem("99999999999999999999999") == ~0ull && strstr(why, "too large"), "%s", why);
}

static void test_numbers(void)
{
    unsigned long n = 7;
    CHECK("a number in range", !runtime_parse_number("3", "vCPU count", 0, 8, &n, why, sizeof(why)) &&
          n == 3, "%s", why);
    CHECK("signs, blanks, hex and trailing text refused",
          runtime_parse_number("+3", "x", 0, 8, &n, why, sizeof(why)) &&
          runtime_parse_number(" 3", "x", 0, 8, &n, why, sizeof(why)) &&
          runtime_parse_number("0x3", "x", 0, 8, &n, why, sizeof(why)) &&
          runtime_parse_number("3c", "x", 0, 8, &n, why, sizeof(why)) && strstr(why, "whole number"),
          "%s", why);
    CHECK("out of range, with the range",
          runtime_parse_number("9", "cap", 0, 8, &n, why, sizeof(why)) &&
          !strcmp(why, "cap 9 is out of range: 0 to 8"), "%s", why);
    CHECK("overflowing digits are out of range, not wrapped",
          runtime_parse_number("99999999999999999999999", "weight", 1, 65535, &n, why, sizeof(why)) &&
          strstr(why, "out of range"), "%s", why);
}

static void test_vcpu_set(void)
{
    CHECK("within maxvcpus", !runtime_check_vcpu_set("demo", 3, 3, 1, 4, false, why, sizeof(why)),
          "%s", why);
    CHECK("more than maxvcpus refused with the limit",
          runtime_check_vcpu_set("demo", 4, 3, 1, 8, true, why, sizeof(why)) &&
          !strcmp(why, "cannot set demo to 4 vCPUs: it has at most 3 (maxvcpus=3 in its configuration)"),
          "%s", why);
    CHECK("0 refused", runtime_check_vcpu_set("demo", 0, 3, 1, 4, false, why, sizeof(why)) &&
          strstr(why, "0 vCPUs"), "%s", why);
    CHECK("more than the host's CPUs refused without -i",
          runtime_check_vcpu_set("big", 6, 8, 2, 4, false, why, sizeof(why)) && strstr(why, "-i"),
          "%s", why);
    CHECK("... allowed with -i, or if it has that many online already",
          !runtime_check_vcpu_set("big", 6, 8, 2, 4, true, why, sizeof(why)) &&
          !runtime_check_vcpu_set("big", 6, 8, 6, 4, false, why, sizeof(why)), "%s", why);
}

static void test_memory(void)
{
    CHECK("a target up to maxmem", !runtime_check_mem_target("demo", 512 * 1024, 512 * 1024, why,
                                                             sizeof(why)), "%s", why);
    CHECK("a target above maxmem refused with both sizes",
          runtime_check_mem_target("demo", 768 * 1024, 512 * 1024, why, sizeof(why)) &&
          strstr(why, "768 MiB") && strstr(why, "maximum is 512 MiB"), "%s", why);
    CHECK("a target below 1 MiB refused", runtime_check_mem_target("demo", 512, 512 * 1024, why,
                                                                   sizeof(why)), "%s", why);
    CHECK("mem-max not below the target",
          runtime_check_mem_max("demo", 128 * 1024, 256 * 1024, why, sizeof(why)) &&
          strstr(why, "below its target of 256 MiB") &&
          !runtime_check_mem_max("demo", 256 * 1024, 256 * 1024, why, sizeof(why)), "%s", why);
    CHECK("the hypervisor's limit is maxmem plus the pages beyond RAM, and back",
          runtime_limit_kib(1024) == 1024 + RUNTIME_PAGES_BEYOND_RAM * 4 &&
          runtime_maxmem_kib(runtime_limit_kib(262144) / 4) == 262144 && runtime_maxmem_kib(3) == 0,
          "%llu", (unsigned long long)runtime_limit_kib(1024));
}

static void test_sched(void)
{
    CHECK("weight 1..65535, cap up to 100 per vCPU",
          !runtime_check_sched(1, 0, 1, why, sizeof(why)) &&
          !runtime_check_sched(65535, 200, 2, why, sizeof(why)), "%s", why);
    CHECK("weight 0 and 65536 refused", runtime_check_sched(0, 0, 1, why, sizeof(why)) &&
          runtime_check_sched(65536, 0, 1, why, sizeof(why)) && strstr(why, "weight 65536"), "%s",
          why);
    CHECK("cap above 100 per vCPU refused", runtime_check_sched(256, 201, 2, why, sizeof(why)) &&
          strstr(why, "at most 200"), "%s", why);
}

static void test_masks(void)
{
    struct cpumap m;
    uint64_t mask = 0;
    unsigned bad = 0;
    CHECK("a CPU list as a mask", !cpumap_parse("1-3,^2", &m, why, sizeof(why)) &&
          !cpumap_mask64(&m, &mask, &bad) && mask == 0xa, "%llx", (unsigned long long)mask);
    CHECK("all is every CPU the masks hold", !cpumap_parse("all", &m, why, sizeof(why)) &&
          !cpumap_mask64(&m, &mask, &bad) && mask == ~0ull, "%llx", (unsigned long long)mask);
    CHECK("all,^0", !cpumap_parse("all,^0", &m, why, sizeof(why)) && !cpumap_mask64(&m, &mask, &bad) &&
          mask == ~1ull, "%llx", (unsigned long long)mask);
    CHECK("a CPU beyond 63 refused, named", !cpumap_parse("2,70", &m, why, sizeof(why)) &&
          cpumap_mask64(&m, &mask, &bad) && bad == 70, "%u", bad);
    CHECK("all but one CPU beyond 63 is not all", !cpumap_parse("all,^100", &m, why, sizeof(why)) &&
          cpumap_mask64(&m, &mask, &bad) && bad == 64, "%u", bad);
}

int main(void)
{
    TAP_PLAN(29);
    test_sizes();
    test_numbers();
    test_vcpu_set();
    test_memory();
    test_sched();
    test_masks();
    TAP_EXIT();
}
