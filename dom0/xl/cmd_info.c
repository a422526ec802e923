/* xl info: the host and the hypervisor, in Xen's "key : value" form. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <xen/version.h>

#include "args.h"
#include "commands.h"
#include "ctl.h"
#include "util.h"
#include "xen_ops.h"

static void print_field(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void print_field(const char *key, const char *fmt, ...)
{
    va_list ap;
    printf("%-23s: ", key);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

int cmd_info(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "n", 0, 0, &a);
    if (rc >= 0)
        return rc;
    struct basalt_host_info h;
    if (ctl_host_info_reported(&h))
        return 1;
    struct utsname u;
    if (uname(&u))
        memset(&u, 0, sizeof(u));

    char extra[64] = "", caps[1024] = "", changeset[128] = "", cmdline[1024] = "";
    struct xen_build_info bi;
    /* Fields from xen_version are optional: print what the hypervisor has. */
    xen_version_string(XENVER_extraversion, extra, sizeof(extra));
    xen_version_string(XENVER_capabilities, caps, sizeof(caps));
    xen_version_string(XENVER_changeset, changeset, sizeof(changeset));
    xen_version_string(XENVER_commandline, cmdline, sizeof(cmdline));
    xen_version_build(&bi);
    if (!*extra)
        snprintf(extra, sizeof(extra), "%.*s", (int)sizeof(h.xen_extra), h.xen_extra);

    uint64_t total = h.total_pages + h.hv_pages + h.dom0_pages;
    print_field("host", "%s", u.nodename);
    print_field("release", "%s", u.release);
    print_field("version", "%s", u.version);
    print_field("machine", "%s", u.machine);
    print_field("nr_cpus", "%u", h.nr_cpus);
    print_field("max_cpu_id", "%u", h.nr_cpus ? h.nr_cpus - 1 : 0);
    print_field("nr_cpus_online", "%u", h.nr_cpus_online);
    print_field("nr_nodes", "1");
    print_field("cores_per_socket", "%u", h.nr_cpus);
    print_field("threads_per_core", "1");
    print_field("cpu_mhz", "%u.%03u", h.cpu_khz / 1000, h.cpu_khz % 1000);
    print_field("virt_caps", "pvh hap");
    print_field("total_memory", "%llu", (unsigned long long)(total >> 8));
    print_field("free_memory", "%llu", (unsigned long long)(h.free_pages >> 8));
    print_field("pool_memory", "%llu", (unsigned long long)(h.total_pages >> 8));
    print_field("dom0_memory", "%llu", (unsigned long long)(h.dom0_pages >> 8));
    print_field("hypervisor_memory", "%llu", (unsigned long long)(h.hv_pages >> 8));
    print_field("sharing_freed_memory", "0");
    print_field("sharing_used_memory", "0");
    print_field("outstanding_claims", "0");
    print_field("free_cpus", "0");
    print_field("nr_domains", "%u", h.nr_domains);
    print_field("xen_major", "%u", h.xen_major);
    print_field("xen_minor", "%u", h.xen_minor);
    print_field("xen_extra", "%s", extra);
    print_field("xen_version", "%u.%u%s", h.xen_major, h.xen_minor, extra);
    print_field("xen_caps", "%s", caps);
    print_field("xen_scheduler", "credit2");
    print_field("xen_pagesize", "4096");
    print_field("platform_params", "virt_start=0x0");
    print_field("xen_changeset", "%s", changeset);
    print_field("xen_commandline", "%s", cmdline);
    print_field("cc_compiler", "%s", bi.compiler);
    print_field("cc_compile_by", "%s", bi.compile_by);
    print_field("cc_compile_domain", "%s", bi.compile_domain);
    print_field("cc_compile_date", "%s", bi.compile_date);
    print_field("build_id", "%s", "");
    print_field("basalt_ctl_version", "%u.%u", BASALT_CTL_VERSION >> 16,
                BASALT_CTL_VERSION & 0xffff);
    print_field("xend_config_format", "4");
    return 0;
}
