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

static void ci_line(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ci_line(const char *key, const char *fmt, ...)
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
    ci_line("host", "%s", u.nodename);
    ci_line("release", "%s", u.release);
    ci_line("version", "%s", u.version);
    ci_line("machine", "%s", u.machine);
    ci_line("nr_cpus", "%u", h.nr_cpus);
    ci_line("max_cpu_id", "%u", h.nr_cpus ? h.nr_cpus - 1 : 0);
    ci_line("nr_cpus_online", "%u", h.nr_cpus_online);
    ci_line("nr_nodes", "1");
    ci_line("cores_per_socket", "%u", h.nr_cpus);
    ci_line("threads_per_core", "1");
    ci_line("cpu_mhz", "%u.%03u", h.cpu_khz / 1000, h.cpu_khz % 1000);
    ci_line("virt_caps", "pvh hap");
    ci_line("total_memory", "%llu", (unsigned long long)(total >> 8));
    ci_line("free_memory", "%llu", (unsigned long long)(h.free_pages >> 8));
    ci_line("pool_memory", "%llu", (unsigned long long)(h.total_pages >> 8));
    ci_line("dom0_memory", "%llu", (unsigned long long)(h.dom0_pages >> 8));
    ci_line("hypervisor_memory", "%llu", (unsigned long long)(h.hv_pages >> 8));
    ci_line("sharing_freed_memory", "0");
    ci_line("sharing_used_memory", "0");
    ci_line("outstanding_claims", "0");
    ci_line("free_cpus", "0");
    ci_line("nr_domains", "%u", h.nr_domains);
    ci_line("xen_major", "%u", h.xen_major);
    ci_line("xen_minor", "%u", h.xen_minor);
    ci_line("xen_extra", "%s", extra);
    ci_line("xen_version", "%u.%u%s", h.xen_major, h.xen_minor, extra);
    ci_line("xen_caps", "%s", caps);
    ci_line("xen_scheduler", "credit2");
    ci_line("xen_pagesize", "4096");
    ci_line("platform_params", "virt_start=0x0");
    ci_line("xen_changeset", "%s", changeset);
    ci_line("xen_commandline", "%s", cmdline);
    ci_line("cc_compiler", "%s", bi.compiler);
    ci_line("cc_compile_by", "%s", bi.compile_by);
    ci_line("cc_compile_domain", "%s", bi.compile_domain);
    ci_line("cc_compile_date", "%s", bi.compile_date);
    ci_line("build_id", "%s", "");
    ci_line("basalt_ctl_version", "%u.%u", BASALT_CTL_VERSION >> 16, BASALT_CTL_VERSION & 0xffff);
    ci_line("xend_config_format", "4");
    return 0;
}
