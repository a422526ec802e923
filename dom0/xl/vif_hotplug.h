/*
 * The hotplug step of a vif, with the semantics of Xen's vif-bridge
 * script: once netback has made the backend interface (vifDOMID.DEVID),
 * it is renamed to vifname= if one was given, takes its MTU, joins its
 * bridge and comes up; xl then writes hotplug-status=connected, which
 * netback waits for before it connects. On teardown it leaves the bridge
 * and goes down.
 *
 * Done here in C, with a handful of ioctls, rather than by running a
 * shell script: under a hypervisor every new process in Dom0 costs dozens
 * of exits (the C library's start-up alone), and vif-bridge starts a
 * dozen (ip, brctl, xenstore-read/-write, logger). A script= naming
 * something other than vif-bridge is run the way libxl runs it.
 */
#ifndef XL_VIF_HOTPLUG_H
#define XL_VIF_HOTPLUG_H

#include <stddef.h>

/* Where network interfaces are listed (the unit tests use a fake tree). */
extern const char *vif_sysfs_net;

/*
 * Refuses a bridge that does not exist, is not a bridge, or holds a
 * physical NIC (also below a VLAN, bond or other stacked device): netback
 * hands a bridge the guest's transmitted pages grant-mapped, and a NIC
 * would DMA from them at an address that, without an IOMMU, is not where
 * they are. Returns 0, or -1 with a reason in err.
 */
int vif_bridge_check(const char *bridge, char *err, size_t errlen);

/* Whether a network interface of that name exists. */
int vif_iface_exists(const char *name);

/*
 * vif-bridge "online" for the interface dev: renamed to vifname (if not
 * NULL; the name used afterwards is written to out), MTU mtu (0: the
 * bridge's), joined to bridge, up. Returns 0, or -1 with a reason.
 */
int vif_hotplug_online(const char *dev, const char *vifname, const char *bridge, unsigned mtu,
                       char *out, size_t outlen, char *err, size_t errlen);

/* vif-bridge "offline": out of its bridge and down; an interface that is
 * already gone is fine. */
void vif_hotplug_offline(const char *dev);

/*
 * Runs a hotplug script as libxl does: `SCRIPT online|offline` with
 * script, XENBUS_TYPE=vif, XENBUS_PATH (the backend directory),
 * XENBUS_BASE_PATH=backend, vif=dev and netdev (gatewaydev or empty) in
 * its environment; it is the script's job to write hotplug-status.
 * Waits at most 30 s. Returns 0, or -1 with a reason.
 */
int vif_hotplug_script(const char *script, const char *action, const char *backend_path,
                       const char *dev, const char *gatewaydev, char *err, size_t errlen);

#endif
