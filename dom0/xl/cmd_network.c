/*
 * Guest NICs while the guest runs, with Xen's xl command lines:
 *   xl network-attach DOM [KEY=VALUE...]   (xl-network-configuration(5))
 *   xl network-detach DOM DEVID|MAC
 *   xl network-list DOM...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>
#include <xen/sched.h>

#include "args.h"
#include "cfg_error.h"
#include "commands.h"
#include "ctl.h"
#include "domains.h"
#include "util.h"
#include "vif_config.h"
#include "vif_devices.h"
#include "vif_entries.h"
#include "xs_store.h"

#define NO_DEVID (VIF_MAX_DEVID + 1u)

/* The hypervisor and xenstored, or a message saying which is missing. */
static struct xs_handle *open_both(void)
{
    int rc = ctl_open();
    if (rc) {
        xl_err("cannot reach the hypervisor: %s", ctl_strerror(rc));
        return NULL;
    }
    struct xs_handle *xs = xsh_open();
    if (!xs)
        xl_err("cannot connect to xenstored: %s (is xenstored running?)", strerror(errno));
    return xs;
}

/* The domain an operand names, not Dom0, and a xenstore connection. */
static int open_domu(const char *spec, struct basalt_domain_info *info, struct xs_handle **xs)
{
    *xs = open_both();
    if (!*xs || dom_resolve(spec, info))
        return -1;
    if (info->domid == 0) {
        xl_err("Domain-0's network is its own; vifs are for guests");
        return -1;
    }
    return 0;
}

/* The lowest devid above every one the domain has (libxl's choice). */
static unsigned next_devid(struct xs_handle *xs, uint32_t domid)
{
    unsigned ids[VIF_MAX_DEVICES];
    unsigned n = vif_device_list(xs, domid, ids, VIF_MAX_DEVICES);
    return n ? ids[n - 1] + 1 : 0;
}

int cmd_network_attach(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 1, ARGS_MAX_OPERANDS, &a);
    if (rc >= 0)
        return rc;

    /* xl takes the parameters as separate arguments: one spec with commas. */
    char *text = args_join_operands(&a, 1);
    if (!text) {
        xl_err("out of memory");
        return 1;
    }
    struct vif_spec spec;
    struct strlist notes = { 0 };
    char why[512];
    if (vif_spec_parse(text, NO_DEVID, &spec, &notes, why, sizeof(why))) {
        char q[CFG_QUOTE_BUF];
        xl_err("invalid vif specification '%s': %s", cfg_quote(text, q, sizeof(q)), why);
        free(text);
        strlist_free(&notes);
        return 2;
    }
    free(text);
    for (size_t i = 0; i < notes.count; i++)
        fprintf(stderr, "%s\n", notes.items[i]);
    strlist_free(&notes);

    struct basalt_domain_info info;
    struct xs_handle *xs = NULL;
    int status = 1;
    if (open_domu(a.operand[0], &info, &xs))
        goto out;
    if (spec.devid == NO_DEVID)
        spec.devid = next_devid(xs, info.domid);
    if (vif_spec_check(&spec, why, sizeof(why))) {
        xl_err("%s", why);
        goto out;
    }
    unsigned ids[VIF_MAX_DEVICES];
    unsigned n = vif_device_list(xs, info.domid, ids, VIF_MAX_DEVICES);
    for (unsigned i = 0; i < n; i++)
        if (ids[i] == spec.devid) {
            xl_err("domain %u already has vif %u", info.domid, spec.devid);
            goto out;
        }
    if (n >= VIF_MAX_DEVICES) {
        xl_err("domain %u has %u vifs, the most it may have", info.domid, n);
        goto out;
    }
    if (vif_device_add(xs, info.domid, info.handle, &spec, spec.devid, why, sizeof(why))) {
        xl_err("cannot attach a vif to domain %u: %s", info.domid, why);
        goto out;
    }
    status = 0;
out:
    vif_spec_free(&spec);
    xsh_close(xs);
    return status;
}

/* The MAC a vif's record (or backend) carries, parsed; -1 if none. */
static int vif_mac(struct xs_handle *xs, uint32_t domid, unsigned devid, uint8_t mac[6])
{
    char dir[XS_PATH_MAX], path[XS_PATH_MAX + 8], why[128];
    vif_record_path(domid, devid, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/mac", dir);
    char *v = xsh_read(xs, path);
    if (!v) {
        vif_backend_path(0, domid, devid, dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/mac", dir);
        v = xsh_read(xs, path);
    }
    int rc = v ? vif_parse_mac(v, mac, why, sizeof(why)) : -1;
    free(v);
    return rc;
}

int cmd_network_detach(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 2, 2, &a);
    if (rc >= 0)
        return rc;
    struct basalt_domain_info info;
    struct xs_handle *xs = NULL;
    int status = 1;
    if (open_domu(a.operand[0], &info, &xs))
        goto out;

    const char *which = a.operand[1];
    unsigned ids[VIF_MAX_DEVICES];
    unsigned n = vif_device_list(xs, info.domid, ids, VIF_MAX_DEVICES);
    unsigned devid = NO_DEVID;
    uint8_t want[6], mac[6];
    char why[128], *end;
    unsigned long num = strtoul(which, &end, 10);
    if (*which >= '0' && *which <= '9' && !*end) {
        for (unsigned i = 0; i < n; i++)
            if (ids[i] == num)
                devid = ids[i];
    } else if (!vif_parse_mac(which, want, why, sizeof(why))) {
        for (unsigned i = 0; i < n; i++)
            if (!vif_mac(xs, info.domid, ids[i], mac) && !memcmp(mac, want, 6))
                devid = ids[i];
    } else {
        xl_err("'%s' is neither a device number nor a MAC address", which);
        goto out;
    }
    if (devid == NO_DEVID) {
        xl_err("domain %u has no vif %s", info.domid, which);
        goto out;
    }
    /* A running guest is asked to close its NIC first. */
    bool running = !(info.flags & BDOM_SHUTDOWN) && !(info.flags & BDOM_PAUSED);
    if (vif_device_remove(xs, info.domid, devid, running)) {
        xl_err("domain %u has no vif %s", info.domid, which);
        goto out;
    }
    status = 0;
out:
    xsh_close(xs);
    return status;
}

/* A number a frontend wrote, or -1 (xl prints -1 for what is missing). */
static long frontend_number(struct xs_handle *xs, const char *fe, const char *const *keys)
{
    char path[XS_PATH_MAX + 48];
    for (; *keys; keys++) {
        snprintf(path, sizeof(path), "%s/%s", fe, *keys);
        char *v = xsh_read(xs, path);
        if (v) {
            char *end;
            long n = strtol(v, &end, 10);
            int ok = end != v && !*end;
            free(v);
            if (ok)
                return n;
        }
    }
    return -1;
}

static void list_domain(struct xs_handle *xs, uint32_t domid)
{
    /* Multi-queue frontends keep rings and channels in queue-N/, split
     * channels have -tx and -rx: queue 0's transmit side stands in. */
    static const char *const evtch[] = { "event-channel", "event-channel-tx",
                                         "queue-0/event-channel", "queue-0/event-channel-tx",
                                         NULL };
    static const char *const tx[] = { "tx-ring-ref", "queue-0/tx-ring-ref", NULL };
    static const char *const rx[] = { "rx-ring-ref", "queue-0/rx-ring-ref", NULL };
    static const char *const state[] = { "state", NULL };
    unsigned ids[VIF_MAX_DEVICES];
    unsigned n = vif_device_list(xs, domid, ids, VIF_MAX_DEVICES);
    for (unsigned i = 0; i < n; i++) {
        char fe[XS_PATH_MAX], be[XS_PATH_MAX], mac_text[VIF_MAC_TEXT];
        uint8_t mac[6];
        vif_frontend_path(domid, ids[i], fe, sizeof(fe));
        vif_backend_path(0, domid, ids[i], be, sizeof(be));
        if (vif_mac(xs, domid, ids[i], mac))
            memset(mac, 0, sizeof(mac));
        vif_format_mac(mac, mac_text);
        printf("%-3u %-2d %s%6u %5ld %6ld %5ld/%-11ld %-30s\n", ids[i], 0, mac_text, ids[i],
               frontend_number(xs, fe, state), frontend_number(xs, fe, evtch),
               frontend_number(xs, fe, tx), frontend_number(xs, fe, rx), be);
    }
}

int cmd_network_list(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 1, ARGS_MAX_OPERANDS, &a);
    if (rc >= 0)
        return rc;
    struct xs_handle *xs = open_both();
    if (!xs)
        return 1;
    printf("%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s\n", "Idx", "BE", "Mac Addr.", "handle",
           "state", "evt-ch", "tx-", "rx-ring-ref", "BE-path");
    int status = 0;
    for (unsigned i = 0; i < a.n_operands; i++) {
        struct basalt_domain_info info;
        if (dom_resolve(a.operand[i], &info)) {
            status = 1;
            continue;
        }
        list_domain(xs, info.domid);
    }
    xsh_close(xs);
    return status;
}
