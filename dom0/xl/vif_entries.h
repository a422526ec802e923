/*
 * A guest NIC (vif) as xenstore holds it: the frontend directory the
 * guest's netfront reads, the backend directory Dom0's netback reads, and
 * xl's own record, with the keys and permissions libxl writes
 * (libxl__device_generic_add, libxl__set_xenstore_nic; pv-io-backends.md
 * 2.1, 2.3). Built as a plain list, like xs_entries.c, so it can be
 * checked without a xenstored.
 */
#ifndef XL_VIF_ENTRIES_H
#define XL_VIF_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs_entries.h"

#define VIF_DEFAULT_BRIDGE "xenbr0"
#define VIF_SCRIPT_DIR "/etc/xen/scripts"
#define VIF_DEFAULT_SCRIPT VIF_SCRIPT_DIR "/vif-bridge"
#define VIF_DEFAULT_MTU 1500
#define VIF_MAX_DEVICES 64      /* per domain */
#define VIF_MAX_DEVID 65535     /* netback's "vif%u.%u" must fit IFNAMSIZ */
#define VIF_MAC_TEXT 18         /* "00:16:3e:12:34:56" and its NUL */

struct vif_device {
    unsigned domid;             /* the guest */
    unsigned backend_domid;     /* where netback runs: 0 */
    unsigned devid;             /* the "handle"; netback names the interface vifDOMID.DEVID */
    uint8_t mac[6];
    const char *bridge;         /* never NULL */
    const char *script;         /* an absolute path */
    const char *ip, *vifname, *gatewaydev;  /* NULL when not given */
    bool has_rate;
    uint64_t rate_bytes_per_interval;
    uint32_t rate_interval_usecs;
    unsigned mtu;
    bool trusted;
};

/* Paths of the three directories. */
void vif_frontend_path(unsigned domid, unsigned devid, char *buf, size_t len);
void vif_backend_path(unsigned backend_domid, unsigned domid, unsigned devid, char *buf,
                      size_t len);
void vif_record_path(unsigned domid, unsigned devid, char *buf, size_t len);

/* Appends every entry of v to out (which may already hold others).
 * Returns 0, or -1 when out of memory. */
int vif_entries_add(const struct vif_device *v, struct xs_entry_list *out);

/* The MAC a vif gets when its spec has none: Xen's prefix 00:16:3e and
 * three bytes from the domain's UUID and the device number (the top bit
 * clear, as libxl makes its random ones), so a restarted domain, which
 * keeps its UUID, keeps its MACs and its DHCP leases. */
void vif_default_mac(const uint8_t uuid[16], unsigned devid, uint8_t mac[6]);

/* The interface names Linux accepts (at most 15 bytes, no '/', ':' or
 * blanks, not "." or ".."). */
int vif_iface_name_ok(const char *name);

void vif_format_mac(const uint8_t mac[6], char out[VIF_MAC_TEXT]);

/* The script as libxl writes it: NULL gives vif-bridge; a name without
 * a '/' is taken from /etc/xen/scripts. Writes into buf; returns it. */
const char *vif_script_path(const char *script, char *buf, size_t len);

#endif
