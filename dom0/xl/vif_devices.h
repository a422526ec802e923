/*
 * Guest NICs served by Linux's netback in Dom0: adding one to a domain
 * (xenstore entries as libxl writes them, netback's interface, the
 * hotplug step), removing one, listing them. Used by xl create (every
 * vif= entry, before the domain first runs), by the monitor's restart,
 * by network-attach/-detach/-list and by every teardown.
 */
#ifndef XL_VIF_DEVICES_H
#define XL_VIF_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vif_entries.h"
#include "vif_spec.h"

struct build_request;
struct xl_config;
struct xs_handle;


/* Whether Dom0 can serve vifs at all (netback's driver is registered).
 * Returns 0, or -1 with a reason in err. */
int vif_backend_ready(char *err, size_t errlen);

/*
 * The checks that need Dom0's state rather than the config's text: the
 * bridge (vif_bridge_check) for the default hotplug step, the script for
 * another one, a vifname= that is taken. Returns 0, or -1 with a reason.
 */
int vif_spec_check_host(const struct vif_spec *spec, char *err, size_t errlen);

/* vif_spec_check_host for every vif of a request, and the backend, as
 * "FILE:LINE: reason" (xl create checks them before it builds). Returns
 * 0, or -1 with the reason in err. */
int vif_devices_check_host(const struct xl_config *c, const struct build_request *r, char *err,
                           size_t errlen);

/*
 * Adds the vif spec to domain domid (UUID uuid) as device devid and runs
 * its hotplug step; netback connects as soon as the guest's netfront does.
 * On failure everything made for it is removed again. Returns 0, or -1
 * with a reason in err.
 */
int vif_device_add(struct xs_handle *xs, uint32_t domid, const uint8_t uuid[16],
                   const struct vif_spec *spec, unsigned devid, char *err, size_t errlen);

/* Adds every vif of the request to domid, in order; stops at the first
 * failure (the caller tears the domain down, which removes the others). */
int vif_devices_add_all(struct xs_handle *xs, uint32_t domid, const struct build_request *r,
                        char *err, size_t errlen);

/*
 * Removes vif devid of domid. With graceful (the guest runs), the guest
 * is asked to close the device first and given 10 s; otherwise (or after
 * that) netback drops it at once. Then the interface leaves its bridge
 * and the xenstore entries go. Returns 0, or -1 if there was no such vif.
 */
int vif_device_remove(struct xs_handle *xs, uint32_t domid, unsigned devid, bool graceful);

/* Removes every vif of domid (a domain destroyed, or one whose creation
 * failed). */
void vif_devices_remove_all(struct xs_handle *xs, uint32_t domid);

/* The devids of domid's vifs (backend or xl's record), ascending.
 * Returns how many (at most max). */
unsigned vif_device_list(struct xs_handle *xs, uint32_t domid, unsigned *devids, unsigned max);

#endif
