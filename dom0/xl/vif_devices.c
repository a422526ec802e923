/* Adding, removing and listing vifs (see vif_devices.h). */
#include "vif_devices.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "build_request.h"
#include "cfg_error.h"
#include "util.h"
#include "vif_config.h"
#include "vif_entries.h"
#include "vif_hotplug.h"
#include "xs_store.h"
#include "xs_watch.h"

#define BACKEND_DOMID 0
#define PROBE_TIMEOUT_MS 10000  /* netback's probe: milliseconds, even under TCG */
#define CLOSE_TIMEOUT_MS 10000  /* a running guest closing its NIC (libxl's 10 s) */
#define REMOVE_TIMEOUT_MS 5000  /* netback dropping a device whose guest is gone */
#define NETBACK_DRIVER "/sys/bus/xen-backend/drivers/vif"

int vif_backend_ready(char *err, size_t errlen)
{
    struct stat st;
    if (stat(NETBACK_DRIVER, &st) == 0)
        return 0;
    cfg_error_set(err, errlen,
                  "Dom0 has no network backend: the xen-netback module is not loaded "
                  "(modprobe xen-netback)");
    return -1;
}

static int uses_builtin_hotplug(const char *script_path)
{
    return !strcmp(script_path, VIF_DEFAULT_SCRIPT);
}

int vif_spec_check_host(const struct vif_spec *spec, char *err, size_t errlen)
{
    char script[256], q[CFG_QUOTE_BUF];
    vif_script_path(spec->script, script, sizeof(script));
    if (uses_builtin_hotplug(script)) {
        if (vif_bridge_check(spec->bridge ? spec->bridge : VIF_DEFAULT_BRIDGE, err, errlen))
            return -1;
    } else if (access(script, X_OK)) {
        cfg_error_set(err, errlen, "hotplug script %s: %s", cfg_quote(script, q, sizeof(q)),
                      strerror(errno));
        return -1;
    }
    if (spec->vifname && vif_iface_exists(spec->vifname)) {
        cfg_error_set(err, errlen, "vifname '%s': Dom0 already has an interface of that name",
                      spec->vifname);
        return -1;
    }
    return 0;
}

/* netback's xenbus state, or -1 if unreadable. */
static int read_state(struct xs_handle *xs, const char *dir)
{
    char path[XS_PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/state", dir);
    char *v = xsh_read(xs, path);
    int state = -1;
    if (v) {
        char *end;
        long s = strtol(v, &end, 10);
        if (end != v && !*end && s >= 0 && s <= XenbusStateReconfigured)
            state = (int)s;
        free(v);
    }
    return state;
}

/* What netback said when it gave up (xenbus_dev_fatal writes it under
 * Dom0's error/ tree), or "". */
static void backend_error(struct xs_handle *xs, uint32_t domid, unsigned devid, char *out,
                          size_t len)
{
    char path[XS_PATH_MAX + 32];
    snprintf(path, sizeof(path), "/local/domain/%u/error/backend/vif/%u/%u/error",
             BACKEND_DOMID, domid, devid);
    char *v = xsh_read(xs, path);
    snprintf(out, len, "%s", v ? v : "");
    free(v);
}

/*
 * Waits until the backend has probed: state InitWait or later (the
 * interface exists then), or given up (Closing, Closed). Returns the
 * state, or -1 on timeout. Woken by a watch on the backend directory,
 * with a poll every 100 ms in case the watch cannot be set.
 */
static int wait_for_probe(struct xs_handle *xs, const char *be)
{
    struct xs_watch_conn w;
    int have_watch = xs_watch_open(&w, be, "vif") == 0;
    uint64_t deadline = xl_now_ms() + PROBE_TIMEOUT_MS;
    int state;
    for (;;) {
        state = read_state(xs, be);
        if (state >= XenbusStateInitWait)
            break;
        if (xl_now_ms() >= deadline) {
            state = -1;
            break;
        }
        if (have_watch) {
            struct pollfd p = { .fd = w.fd, .events = POLLIN };
            if (poll(&p, 1, 100) > 0 && xs_watch_drain(&w) < 0) {
                xs_watch_close(&w);
                have_watch = 0;
            }
        } else {
            xl_sleep_ms(100);
        }
    }
    if (have_watch)
        xs_watch_close(&w);
    return state;
}

static void netback_device(uint32_t domid, unsigned devid, char *path, size_t len)
{
    snprintf(path, len, "/sys/bus/xen-backend/devices/vif-%u-%u", domid, devid);
}

/* Waits until netback has let go of the device (its xen-backend device,
 * and with it the interface, is gone). Returns 0, or -1 on timeout. */
static int wait_for_netback_release(uint32_t domid, unsigned devid, unsigned timeout_ms)
{
    char path[96];
    struct stat st;
    netback_device(domid, devid, path, sizeof(path));
    uint64_t deadline = xl_now_ms() + timeout_ms;
    while (stat(path, &st) == 0) {
        if (xl_now_ms() >= deadline)
            return -1;
        xl_sleep_ms(10);
    }
    return 0;
}

/* The interface netback made for the vif, under its current name. */
static void vif_interface(struct xs_handle *xs, const char *be, uint32_t domid, unsigned devid,
                          char *name, size_t len)
{
    char path[XS_PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/vifname", be);
    char *v = xsh_read(xs, path);
    if (v && vif_iface_name_ok(v) && vif_iface_exists(v))
        snprintf(name, len, "%s", v);
    else
        snprintf(name, len, "vif%u.%u", domid, devid);
    free(v);
}

static void fill_device(struct vif_device *d, uint32_t domid, const uint8_t uuid[16],
                        const struct vif_spec *spec, unsigned devid, char *script,
                        size_t script_len)
{
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->backend_domid = BACKEND_DOMID;
    d->devid = devid;
    if (spec->has_mac)
        memcpy(d->mac, spec->mac, 6);
    else
        vif_default_mac(uuid, devid, d->mac);
    d->bridge = spec->bridge ? spec->bridge : VIF_DEFAULT_BRIDGE;
    d->script = vif_script_path(spec->script, script, script_len);
    d->ip = spec->ip;
    d->vifname = spec->vifname;
    d->gatewaydev = spec->gatewaydev;
    d->has_rate = spec->has_rate;
    d->rate_bytes_per_interval = spec->rate_bytes_per_interval;
    d->rate_interval_usecs = spec->rate_interval_usecs;
    d->mtu = spec->mtu ? spec->mtu : VIF_DEFAULT_MTU;
    d->trusted = spec->trusted != TRISTATE_FALSE;
}

static int hotplug_online(struct xs_handle *xs, const struct vif_device *d, const char *be,
                          char *err, size_t errlen)
{
    char dev[IFNAMSIZ], name[IFNAMSIZ], path[XS_PATH_MAX + 16];
    snprintf(dev, sizeof(dev), "vif%u.%u", d->domid, d->devid);
    snprintf(path, sizeof(path), "%s/hotplug-status", be);
    if (!uses_builtin_hotplug(d->script)) {
        if (vif_hotplug_script(d->script, "online", be, dev, d->gatewaydev, err, errlen))
            return -1;
        char *status = xsh_read(xs, path);
        int ok = status && !strcmp(status, "connected");
        free(status);
        if (!ok)
            cfg_error_set(err, errlen, "hotplug script %s did not write hotplug-status=connected",
                          d->script);
        return ok ? 0 : -1;
    }
    if (vif_hotplug_online(dev, d->vifname, d->bridge,
                           d->mtu == VIF_DEFAULT_MTU ? 0 : d->mtu, name, sizeof(name), err,
                           errlen))
        return -1;
    int rc = xsh_write(xs, path, "connected");
    if (rc) {
        cfg_error_set(err, errlen, "cannot write %s: %s", path, strerror(-rc));
        return -1;
    }
    xl_info("  vif %u.%u: %s on bridge %s", d->domid, d->devid, name, d->bridge);
    return 0;
}

int vif_device_add(struct xs_handle *xs, uint32_t domid, const uint8_t uuid[16],
                   const struct vif_spec *spec, unsigned devid, char *err, size_t errlen)
{
    struct vif_device d;
    struct xs_entry_list l = { 0 };
    char script[256], be[XS_PATH_MAX], why[512];
    int rc;

    if (vif_backend_ready(err, errlen) || vif_spec_check_host(spec, err, errlen))
        return -1;
    fill_device(&d, domid, uuid, spec, devid, script, sizeof(script));
    vif_backend_path(BACKEND_DOMID, domid, devid, be, sizeof(be));
    if (vif_entries_add(&d, &l)) {
        xs_entries_free(&l);
        cfg_error_set(err, errlen, "out of memory");
        return -1;
    }
    rc = xsh_write_entries(xs, &l);
    xs_entries_free(&l);
    if (rc) {
        cfg_error_set(err, errlen, "cannot write the xenstore entries: %s", strerror(-rc));
        vif_device_remove(xs, domid, devid, false);
        return -1;
    }
    int state = wait_for_probe(xs, be);
    if (state != XenbusStateInitWait && state != XenbusStateInitialised &&
        state != XenbusStateConnected) {
        backend_error(xs, domid, devid, why, sizeof(why));
        if (state < 0)
            cfg_error_set(err, errlen, "netback did not take up %s within %d s", be,
                          PROBE_TIMEOUT_MS / 1000);
        else
            cfg_error_set(err, errlen, "netback refused %s (state %d)%s%s", be, state,
                          *why ? ": " : "", why);
        vif_device_remove(xs, domid, devid, false);
        return -1;
    }
    if (hotplug_online(xs, &d, be, err, errlen)) {
        vif_device_remove(xs, domid, devid, false);
        return -1;
    }
    return 0;
}

static void remove_tree(struct xs_handle *xs, const char *path)
{
    if (!xs_rm(xs, XBT_NULL, path) && errno != ENOENT)
        xl_err("cannot remove %s: %s", path, strerror(errno));
}

/* Whether dir/key exists; its value (cut to len) into buf if buf. */
static int read_key(struct xs_handle *xs, const char *dir, const char *key, char *buf,
                    size_t len)
{
    char path[XS_PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    char *v = xsh_read(xs, path);
    if (!v)
        return 0;
    if (buf)
        snprintf(buf, len, "%s", v);
    free(v);
    return 1;
}

int vif_device_remove(struct xs_handle *xs, uint32_t domid, unsigned devid, bool graceful)
{
    char be[XS_PATH_MAX], fe[XS_PATH_MAX], rec[XS_PATH_MAX], path[XS_PATH_MAX + 32];
    char dev[IFNAMSIZ], script[256], err[256];

    vif_backend_path(BACKEND_DOMID, domid, devid, be, sizeof(be));
    vif_frontend_path(domid, devid, fe, sizeof(fe));
    vif_record_path(domid, devid, rec, sizeof(rec));
    int backend = read_state(xs, be) >= 0;
    int recorded = read_key(xs, rec, "backend", NULL, 0);
    int frontend = read_key(xs, fe, "backend", NULL, 0);
    if (!backend && !recorded && !frontend)
        return -1;

    /* Which hotplug step put it up: the record keeps the script. */
    if (!read_key(xs, rec, "script", script, sizeof(script)))
        snprintf(script, sizeof(script), "%s", VIF_DEFAULT_SCRIPT);
    vif_interface(xs, be, domid, devid, dev, sizeof(dev));

    if (backend) {
        /* Offline: netback drops the device once its frontend has closed
         * (or is gone) instead of waiting for it to come back. */
        snprintf(path, sizeof(path), "%s/online", be);
        xsh_write(xs, path, "0");
        if (uses_builtin_hotplug(script))
            vif_hotplug_offline(dev);
        int released = 0;
        if (graceful) {
            /* Closing: the guest's netfront closes its side, netback follows. */
            snprintf(path, sizeof(path), "%s/state", be);
            xsh_write(xs, path, "5");
            released = wait_for_netback_release(domid, devid, CLOSE_TIMEOUT_MS) == 0;
            if (!released)
                xl_err("domain %u did not close vif %u within %d s; removing it anyway", domid,
                       devid, CLOSE_TIMEOUT_MS / 1000);
        }
        if (!released) {
            /* The frontend gone: netback sees state Unknown and lets go. */
            remove_tree(xs, fe);
            wait_for_netback_release(domid, devid, REMOVE_TIMEOUT_MS);
        }
        if (!uses_builtin_hotplug(script) &&
            vif_hotplug_script(script, "offline", be, dev, NULL, err, sizeof(err)))
            xl_err("vif %u.%u: %s", domid, devid, err);
    }
    remove_tree(xs, fe);
    remove_tree(xs, be);
    remove_tree(xs, rec);
    snprintf(path, sizeof(path), "/local/domain/%u/error/backend/vif/%u/%u", BACKEND_DOMID,
             domid, devid);
    (void)xs_rm(xs, XBT_NULL, path); /* usually absent: netback writes it when it fails */
    return 0;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* Adds the numeric entries of dir to ids (no duplicates). */
static unsigned add_ids(struct xs_handle *xs, const char *dir, unsigned *ids, unsigned n,
                        unsigned max)
{
    unsigned count = 0;
    char **names = xs_directory(xs, XBT_NULL, dir, &count);
    for (unsigned i = 0; names && i < count && n < max; i++) {
        char *end;
        unsigned long id = strtoul(names[i], &end, 10);
        if (end == names[i] || *end || id > VIF_MAX_DEVID)
            continue;
        int seen = 0;
        for (unsigned j = 0; j < n; j++)
            seen |= ids[j] == id;
        if (!seen)
            ids[n++] = (unsigned)id;
    }
    free(names);
    return n;
}

unsigned vif_device_list(struct xs_handle *xs, uint32_t domid, unsigned *devids, unsigned max)
{
    char path[XS_PATH_MAX];
    unsigned n = 0;
    snprintf(path, sizeof(path), "/local/domain/%u/backend/vif/%u", BACKEND_DOMID, domid);
    n = add_ids(xs, path, devids, n, max);
    snprintf(path, sizeof(path), "/libxl/%u/device/vif", domid);
    n = add_ids(xs, path, devids, n, max);
    snprintf(path, sizeof(path), "/local/domain/%u/device/vif", domid);
    n = add_ids(xs, path, devids, n, max);
    qsort(devids, n, sizeof(*devids), cmp_unsigned);
    return n;
}

void vif_devices_remove_all(struct xs_handle *xs, uint32_t domid)
{
    unsigned ids[VIF_MAX_DEVICES];
    char path[XS_PATH_MAX];
    unsigned n = vif_device_list(xs, domid, ids, VIF_MAX_DEVICES);
    for (unsigned i = 0; i < n; i++)
        vif_device_remove(xs, domid, ids[i], false);
    snprintf(path, sizeof(path), "/local/domain/%u/backend/vif/%u", BACKEND_DOMID, domid);
    remove_tree(xs, path);
    snprintf(path, sizeof(path), "/local/domain/%u/error/backend/vif/%u", BACKEND_DOMID, domid);
    (void)xs_rm(xs, XBT_NULL, path);
}

int vif_devices_check_host(const struct xl_config *c, const struct build_request *r, char *err,
                           size_t errlen)
{
    char why[512];
    if (!r->n_vifs)
        return 0;
    if (vif_backend_ready(why, sizeof(why)))
        return vif_config_fail(c, &r->vifs[0], 0, err, errlen, why);
    for (size_t i = 0; i < r->n_vifs; i++)
        if (vif_spec_check_host(&r->vifs[i], why, sizeof(why)))
            return vif_config_fail(c, &r->vifs[i], i, err, errlen, why);
    return 0;
}

int vif_devices_add_all(struct xs_handle *xs, uint32_t domid, const struct build_request *r,
                        char *err, size_t errlen)
{
    char why[512];
    for (size_t i = 0; i < r->n_vifs; i++)
        if (vif_device_add(xs, domid, r->uuid, &r->vifs[i], r->vifs[i].devid, why,
                           sizeof(why))) {
            cfg_error_set(err, errlen, "vif %zu: %s", i + 1, why);
            return -1;
        }
    return 0;
}
