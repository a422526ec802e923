/*
 * Commands that act on one domain: shutdown, reboot (the PV protocol:
 * xl writes control/shutdown, the guest acts and clears it), destroy,
 * pause, unpause, console.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/sched.h>

#include "args.h"
#include "commands.h"
#include "console.h"
#include "ctl.h"
#include "domains.h"
#include "format.h"
#include "teardown.h"
#include "util.h"
#include "xs_store.h"

/* How long `-w` trusts a shut-down domain to be cleaned up by its monitor
 * before taking "shut down" as the end (no monitor: xl create -e). */
#define SHUTDOWN_GRACE_MS 10000

/* Resolves the operand and refuses Dom0. */
static int resolve_domu(const char *spec, struct basalt_domain_info *info, const char *what)
{
    if (dom_resolve(spec, info))
        return -1;
    if (info->domid == 0) {
        xl_err("cannot %s Domain-0", what);
        return -1;
    }
    return 0;
}

/* Whether the action the domain's monitor takes for reason leaves it in
 * place (preserve): then -w is done once it has shut down. */
static int stays_after_shutdown(struct xs_handle *xs, uint32_t domid, uint32_t reason)
{
    const char *key = reason == SHUTDOWN_poweroff ? "on_poweroff"
                    : reason == SHUTDOWN_reboot   ? "on_reboot"
                                                  : "on_crash";
    char path[64];
    snprintf(path, sizeof(path), "/libxl/%u/%s", domid, key);
    char *v = xsh_read(xs, path);
    int preserved = v && (!strcmp(v, "preserve") || !strcmp(v, "rename-restart"));
    free(v);
    return preserved;
}

static int wait_for_shutdown(struct xs_handle *xs, uint32_t domid)
{
    uint64_t shutdown_at = 0;
    fprintf(stderr, "Waiting for 1 domains\n");
    for (;;) {
        struct basalt_domain_info info;
        int rc = ctl_domain_info(domid, &info);
        if (rc == -ESRCH) {
            fprintf(stderr, "Domain %u has been destroyed.\n", domid);
            return 0;
        }
        if (rc) {
            xl_err("cannot query domain %u: %s", domid, ctl_strerror(rc));
            return 1;
        }
        if (info.flags & BDOM_SHUTDOWN && info.shutdown_reason != SHUTDOWN_suspend) {
            if (!shutdown_at)
                shutdown_at = xl_now_ms();
            if (stays_after_shutdown(xs, domid, info.shutdown_reason) ||
                xl_now_ms() - shutdown_at >= SHUTDOWN_GRACE_MS) {
                fprintf(stderr, "Domain %u has been shut down, reason code %u\n", domid,
                        info.shutdown_reason);
                return 0;
            }
        }
        xl_sleep_ms(200);
    }
}

static int request_shutdown(int argc, char **argv, const char *request, const char *verb)
{
    struct args a;
    int rc = cmd_args(argc, argv, "waF", 1, 1, &a);
    if (rc >= 0)
        return rc;
    if (args_has(&a, 'a')) {
        xl_err("%s -a is not supported", argv[0]);
        return 2;
    }
    struct basalt_domain_info info;
    if (resolve_domu(a.operand[0], &info, argv[0]))
        return 1;
    struct xs_handle *xs = xsh_open();
    if (!xs) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return 1;
    }
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/%u/control", info.domid);
    char *control = xsh_read(xs, path);
    if (!control) {
        xl_err("domain %u has no %s in xenstore (not built by xl?): it cannot be asked to "
               "%s; use xl destroy",
               info.domid, path, argv[0]);
        xsh_close(xs);
        return 1;
    }
    free(control);
    fprintf(stderr, "%s domain %u\n", verb, info.domid);
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", info.domid);
    if ((rc = xsh_write(xs, path, request))) {
        xl_err("cannot write %s: %s", path, strerror(-rc));
        xsh_close(xs);
        return 1;
    }
    rc = args_has(&a, 'w') ? wait_for_shutdown(xs, info.domid) : 0;
    xsh_close(xs);
    return rc;
}

int cmd_shutdown(int argc, char **argv)
{
    return request_shutdown(argc, argv, "poweroff", "Shutting down");
}

int cmd_reboot(int argc, char **argv)
{
    return request_shutdown(argc, argv, "reboot", "Rebooting");
}

int cmd_destroy(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "f", 1, 1, &a);
    if (rc >= 0)
        return rc;
    struct basalt_domain_info info;
    if (resolve_domu(a.operand[0], &info, "destroy"))
        return 1;
    if ((rc = domain_teardown(info.domid, NULL))) {
        xl_err("cannot destroy domain %u: %s", info.domid, ctl_strerror(rc));
        return 1;
    }
    return 0;
}

static int pause_or_unpause(int argc, char **argv, enum basalt_ctl_cmd cmd)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 1, 1, &a);
    if (rc >= 0)
        return rc;
    struct basalt_domain_info info;
    if (resolve_domu(a.operand[0], &info, argv[0]))
        return 1;
    if ((rc = ctl_domain_op(cmd, info.domid))) {
        xl_err("cannot %s domain %u: %s", argv[0], info.domid, ctl_strerror(rc));
        return 1;
    }
    return 0;
}

int cmd_pause(int argc, char **argv)
{
    return pause_or_unpause(argc, argv, BCTL_DOMAIN_PAUSE);
}

int cmd_unpause(int argc, char **argv)
{
    return pause_or_unpause(argc, argv, BCTL_DOMAIN_UNPAUSE);
}

int cmd_console(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "t:n:", 1, 1, &a);
    if (rc >= 0)
        return rc;
    if (a.value['t'] && strcmp(a.value['t'], "pv")) {
        xl_err("console -t %s: only the PV console exists", a.value['t']);
        return 2;
    }
    if (a.value['n'] && strcmp(a.value['n'], "0")) {
        xl_err("console -n %s: only console 0 exists", a.value['n']);
        return 2;
    }
    struct basalt_domain_info info;
    if (dom_resolve(a.operand[0], &info))
        return 1;
    if (info.domid == 0) {
        xl_err("Domain-0's console is this one (hvc0)");
        return 1;
    }
    return console_attach(info.domid);
}
