/* A vif's xenstore entries (see vif_entries.h). */
#include "vif_entries.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "dom0/lib/string_hash.h"
#include "uuid.h"

void vif_frontend_path(unsigned domid, unsigned devid, char *buf, size_t len)
{
    snprintf(buf, len, "/local/domain/%u/device/vif/%u", domid, devid);
}

void vif_backend_path(unsigned backend_domid, unsigned domid, unsigned devid, char *buf,
                      size_t len)
{
    snprintf(buf, len, "/local/domain/%u/backend/vif/%u/%u", backend_domid, domid, devid);
}

void vif_record_path(unsigned domid, unsigned devid, char *buf, size_t len)
{
    snprintf(buf, len, "/libxl/%u/device/vif/%u", domid, devid);
}

int vif_iface_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (!n || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
        return 0;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == ':' || *p <= ' ' || *p >= 0x7f)
            return 0;
    return 1;
}

void vif_format_mac(const uint8_t mac[6], char out[VIF_MAC_TEXT])
{
    snprintf(out, VIF_MAC_TEXT, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
}

void vif_default_mac(const uint8_t uuid[16], unsigned devid, uint8_t mac[6])
{
    char uuid_text[UUID_STR_LEN], key[UUID_STR_LEN + 32];
    uuid_format(uuid, uuid_text);
    snprintf(key, sizeof(key), "vif:%s:%u", uuid_text, devid);
    uint64_t h = string_hash(key);
    mac[0] = 0x00;
    mac[1] = 0x16;
    mac[2] = 0x3e;
    mac[3] = (uint8_t)(h >> 16) & 0x7f;
    mac[4] = (uint8_t)(h >> 8);
    mac[5] = (uint8_t)h;
}

const char *vif_script_path(const char *script, char *buf, size_t len)
{
    if (!script || !*script)
        snprintf(buf, len, "%s", VIF_DEFAULT_SCRIPT);
    else if (strchr(script, '/'))
        snprintf(buf, len, "%s", script);
    else
        snprintf(buf, len, "%s/%s", VIF_SCRIPT_DIR, script);
    return buf;
}

/* The keys the backend (and xl's record) carries: what the hotplug step
 * and `xl network-list` read back. */
static int add_config_keys(struct xs_entry_list *l, const struct xs_perm *perms, unsigned np,
                           const char *dir, const struct vif_device *v)
{
    char mac[VIF_MAC_TEXT], num[48];
    int rc = 0;

    vif_format_mac(v->mac, mac);
    rc |= xs_entry_add(l, perms, np, v->script, "%s/script", dir);
    if (v->vifname)
        rc |= xs_entry_add(l, perms, np, v->vifname, "%s/vifname", dir);
    rc |= xs_entry_add(l, perms, np, mac, "%s/mac", dir);
    if (v->ip)
        rc |= xs_entry_add(l, perms, np, v->ip, "%s/ip", dir);
    if (v->gatewaydev)
        rc |= xs_entry_add(l, perms, np, v->gatewaydev, "%s/gatewaydev", dir);
    if (v->has_rate) {
        /* netback's credit scheduler: bytes per interval, microseconds. */
        snprintf(num, sizeof(num), "%llu,%u", (unsigned long long)v->rate_bytes_per_interval,
                 v->rate_interval_usecs);
        rc |= xs_entry_add(l, perms, np, num, "%s/rate", dir);
    }
    if (v->mtu != VIF_DEFAULT_MTU) {
        snprintf(num, sizeof(num), "%u", v->mtu);
        rc |= xs_entry_add(l, perms, np, num, "%s/mtu", dir);
    }
    rc |= xs_entry_add(l, perms, np, v->bridge, "%s/bridge", dir);
    snprintf(num, sizeof(num), "%u", v->devid);
    rc |= xs_entry_add(l, perms, np, num, "%s/handle", dir);
    rc |= xs_entry_add(l, perms, np, "vif", "%s/type", dir);
    return rc ? -1 : 0;
}

int vif_entries_add(const struct vif_device *v, struct xs_entry_list *l)
{
    /* The frontend belongs to the guest and the backend domain may read
     * it; the backend the other way round; mtu in the frontend is the
     * toolstack's (the guest only reads it); the record is Dom0's. */
    const struct xs_perm front[] = { { v->domid, 'n' }, { v->backend_domid, 'r' } };
    const struct xs_perm back[] = { { v->backend_domid, 'n' }, { v->domid, 'r' } };
    const struct xs_perm ro_front[] = { { 0, 'n' }, { v->domid, 'r' } };
    const struct xs_perm priv[] = { { 0, 'n' } };
    char fe[XS_PATH_MAX], be[XS_PATH_MAX], rec[XS_PATH_MAX], mac[VIF_MAC_TEXT], num[16];
    int rc = 0;

    vif_frontend_path(v->domid, v->devid, fe, sizeof(fe));
    vif_backend_path(v->backend_domid, v->domid, v->devid, be, sizeof(be));
    vif_record_path(v->domid, v->devid, rec, sizeof(rec));
    vif_format_mac(v->mac, mac);

    rc |= xs_entry_add(l, front, 2, NULL, "%s", fe);
    rc |= xs_entry_add(l, front, 2, be, "%s/backend", fe);
    snprintf(num, sizeof(num), "%u", v->backend_domid);
    rc |= xs_entry_add(l, front, 2, num, "%s/backend-id", fe);
    rc |= xs_entry_add(l, front, 2, "1", "%s/state", fe); /* XenbusStateInitialising */
    snprintf(num, sizeof(num), "%u", v->devid);
    rc |= xs_entry_add(l, front, 2, num, "%s/handle", fe);
    rc |= xs_entry_add(l, front, 2, mac, "%s/mac", fe);
    rc |= xs_entry_add(l, front, 2, v->trusted ? "1" : "0", "%s/trusted", fe);
    snprintf(num, sizeof(num), "%u", v->mtu);
    rc |= xs_entry_add(l, ro_front, 2, num, "%s/mtu", fe);

    rc |= xs_entry_add(l, back, 2, NULL, "%s", be);
    rc |= xs_entry_add(l, back, 2, fe, "%s/frontend", be);
    snprintf(num, sizeof(num), "%u", v->domid);
    rc |= xs_entry_add(l, back, 2, num, "%s/frontend-id", be);
    rc |= xs_entry_add(l, back, 2, "1", "%s/online", be);
    rc |= xs_entry_add(l, back, 2, "1", "%s/state", be);
    rc |= add_config_keys(l, back, 2, be, v);
    /* Empty until the hotplug step has put the interface on its bridge:
     * netback stays out of Connected until it reads "connected". */
    rc |= xs_entry_add(l, back, 2, "", "%s/hotplug-status", be);

    rc |= xs_entry_add(l, priv, 1, NULL, "%s", rec);
    rc |= xs_entry_add(l, priv, 1, fe, "%s/frontend", rec);
    rc |= xs_entry_add(l, priv, 1, be, "%s/backend", rec);
    rc |= add_config_keys(l, priv, 1, rec, v);
    return rc ? -1 : 0;
}
