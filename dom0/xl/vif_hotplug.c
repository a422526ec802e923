/* The vif hotplug step (see vif_hotplug.h). */
#include "vif_hotplug.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <linux/sockios.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg_error.h"
#include "vif_entries.h"

#define SCRIPT_TIMEOUT_MS 30000
#define MAX_STACK_DEPTH 8       /* VLAN on bond on NIC is 3 */

const char *vif_sysfs_net = "/sys/class/net";

/* src cut to fit dst (len bytes with the NUL). */
static void copy_cut(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int vif_iface_exists(const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    if (!vif_iface_name_ok(name))
        return 0;
    snprintf(path, sizeof(path), "%s/%s", vif_sysfs_net, name);
    return stat(path, &st) == 0;
}

/* The bus a device sits on ("pci", "usb", "xen-backend"), or "" for a
 * virtual interface (no device link). */
static void device_bus(const char *dev, char *bus, size_t len)
{
    char path[PATH_MAX], target[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s/device/subsystem", vif_sysfs_net, dev);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    bus[0] = '\0';
    if (n <= 0) {
        /* A device without a subsystem link is still a device. */
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s/device", vif_sysfs_net, dev);
        if (stat(path, &st) == 0)
            snprintf(bus, len, "unknown");
        return;
    }
    target[n] = '\0';
    const char *slash = strrchr(target, '/');
    copy_cut(bus, len, slash ? slash + 1 : target);
}

/* A physical NIC at or below dev (through lower_* links), named in nic. */
static int physical_below(const char *dev, int depth, char *nic, size_t niclen)
{
    char bus[64], path[PATH_MAX];
    device_bus(dev, bus, sizeof(bus));
    if (*bus && strcmp(bus, "xen-backend")) {
        copy_cut(nic, niclen, dev);
        return 1;
    }
    if (depth >= MAX_STACK_DEPTH)
        return 0;
    snprintf(path, sizeof(path), "%s/%s", vif_sysfs_net, dev);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)))
        if (!strncmp(e->d_name, "lower_", 6) && vif_iface_name_ok(e->d_name + 6))
            found = physical_below(e->d_name + 6, depth + 1, nic, niclen);
    closedir(d);
    return found;
}

int vif_bridge_check(const char *bridge, char *err, size_t errlen)
{
    char path[PATH_MAX], q[CFG_QUOTE_BUF], nic[IFNAMSIZ + 8];
    struct stat st;

    if (!vif_iface_name_ok(bridge)) {
        cfg_error_set(err, errlen, "'%s' is not a valid interface name",
                      cfg_quote(bridge, q, sizeof(q)));
        return -1;
    }
    if (!vif_iface_exists(bridge)) {
        cfg_error_set(err, errlen,
                      "bridge '%s' does not exist in Dom0 (Dom0's network set-up makes "
                      "xenbr0; another bridge must be made first, e.g. ip link add %s "
                      "type bridge)",
                      bridge, bridge);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s/bridge", vif_sysfs_net, bridge);
    if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
        cfg_error_set(err, errlen, "'%s' is a network interface of Dom0 but not a bridge",
                      bridge);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s/brif", vif_sysfs_net, bridge);
    DIR *d = opendir(path);
    if (!d)
        return 0; /* no ports yet */
    struct dirent *e;
    int physical = 0;
    while (!physical && (e = readdir(d)))
        if (e->d_name[0] != '.' && vif_iface_name_ok(e->d_name))
            physical = physical_below(e->d_name, 0, nic, sizeof(nic));
    closedir(d);
    if (physical) {
        cfg_error_set(err, errlen,
                      "bridge '%s' holds the physical NIC '%s', and Basalt does not bridge "
                      "guests onto a physical NIC: it has no IOMMU yet, and netback hands "
                      "the bridge a guest's transmitted pages grant-mapped, which the NIC "
                      "would DMA from at the wrong machine address. Use a bridge without "
                      "a NIC, which Dom0 routes and NATs (xenbr0)",
                      bridge, nic);
        return -1;
    }
    return 0;
}

static int net_socket(void)
{
    return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int set_up(int s, const char *dev, int up)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    copy_cut(ifr.ifr_name, sizeof(ifr.ifr_name), dev);
    if (ioctl(s, SIOCGIFFLAGS, &ifr))
        return -1;
    if (up)
        ifr.ifr_flags |= IFF_UP;
    else
        ifr.ifr_flags &= ~IFF_UP;
    return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int bridge_port(int s, const char *bridge, const char *dev, unsigned long op)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    copy_cut(ifr.ifr_name, sizeof(ifr.ifr_name), bridge);
    ifr.ifr_ifindex = (int)if_nametoindex(dev);
    if (!ifr.ifr_ifindex)
        return -1;
    return ioctl(s, op, &ifr);
}

static int get_mtu(int s, const char *dev, unsigned *mtu)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    copy_cut(ifr.ifr_name, sizeof(ifr.ifr_name), dev);
    if (ioctl(s, SIOCGIFMTU, &ifr))
        return -1;
    *mtu = (unsigned)ifr.ifr_mtu;
    return 0;
}

static int set_mtu(int s, const char *dev, unsigned mtu)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    copy_cut(ifr.ifr_name, sizeof(ifr.ifr_name), dev);
    ifr.ifr_mtu = (int)mtu;
    return ioctl(s, SIOCSIFMTU, &ifr);
}

/* Bridge ports carry only the guests' frames: no address of their own
 * (netback gives every vif fe:ff:ff:ff:ff:ff, so their IPv6 link-local
 * addresses would all be the same). */
static void no_ipv6(const char *dev)
{
    char path[128];
    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "1", 1) != 1) {
            /* Nothing depends on it. */
        }
        close(fd);
    }
}

int vif_hotplug_online(const char *dev, const char *vifname, const char *bridge, unsigned mtu,
                       char *out, size_t outlen, char *err, size_t errlen)
{
    int s = net_socket();
    if (s < 0) {
        cfg_error_set(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    const char *name = dev;
    int rc = -1;
    if (vifname && strcmp(vifname, dev)) {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        copy_cut(ifr.ifr_name, sizeof(ifr.ifr_name), dev);
        copy_cut(ifr.ifr_newname, sizeof(ifr.ifr_newname), vifname);
        if (ioctl(s, SIOCSIFNAME, &ifr)) {
            cfg_error_set(err, errlen, "cannot rename %s to %s: %s", dev, vifname,
                          errno == EEXIST ? "an interface of that name exists" : strerror(errno));
            goto out;
        }
        name = vifname;
    }
    copy_cut(out, outlen, name);
    if (!mtu && get_mtu(s, bridge, &mtu)) {
        cfg_error_set(err, errlen, "cannot read the MTU of bridge %s: %s", bridge,
                      strerror(errno));
        goto out;
    }
    if (set_mtu(s, name, mtu)) {
        cfg_error_set(err, errlen, "cannot set the MTU of %s to %u: %s", name, mtu,
                      strerror(errno));
        goto out;
    }
    no_ipv6(name);
    if (set_up(s, name, 1)) {
        cfg_error_set(err, errlen, "cannot bring %s up: %s", name, strerror(errno));
        goto out;
    }
    if (bridge_port(s, bridge, name, SIOCBRADDIF)) {
        cfg_error_set(err, errlen, "cannot add %s to bridge %s: %s", name, bridge,
                      strerror(errno));
        set_up(s, name, 0);
        goto out;
    }
    rc = 0;
out:
    close(s);
    return rc;
}

void vif_hotplug_offline(const char *dev)
{
    char path[PATH_MAX], target[PATH_MAX];
    if (!vif_iface_exists(dev))
        return;
    int s = net_socket();
    if (s < 0)
        return;
    /* brport/bridge names the bridge the interface is a port of. */
    snprintf(path, sizeof(path), "%s/%s/brport/bridge", vif_sysfs_net, dev);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        const char *slash = strrchr(target, '/');
        bridge_port(s, slash ? slash + 1 : target, dev, SIOCBRDELIF);
    }
    set_up(s, dev, 0);
    close(s);
}

int vif_hotplug_script(const char *script, const char *action, const char *backend_path,
                       const char *dev, const char *gatewaydev, char *err, size_t errlen)
{
    if (access(script, X_OK)) {
        cfg_error_set(err, errlen, "hotplug script %s: %s", script, strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        cfg_error_set(err, errlen, "cannot start %s: %s", script, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
        setenv("script", script, 1);
        setenv("XENBUS_TYPE", "vif", 1);
        setenv("XENBUS_PATH", backend_path, 1);
        setenv("XENBUS_BASE_PATH", "backend", 1);
        setenv("vif", dev, 1);
        setenv("netdev", gatewaydev ? gatewaydev : "", 1);
        if (!getenv("PATH"))
            setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
        execl(script, script, action, (char *)NULL);
        fprintf(stderr, "xl: cannot run %s: %s\n", script, strerror(errno));
        _exit(127);
    }
    int status;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            cfg_error_set(err, errlen, "waiting for %s: %s", script, strerror(errno));
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (ms > SCRIPT_TIMEOUT_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            cfg_error_set(err, errlen, "hotplug script %s %s did not finish in %d s", script,
                          action, SCRIPT_TIMEOUT_MS / 1000);
            return -1;
        }
        usleep(10 * 1000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        if (WIFEXITED(status))
            cfg_error_set(err, errlen, "hotplug script %s %s failed (exit %d)", script, action,
                          WEXITSTATUS(status));
        else
            cfg_error_set(err, errlen, "hotplug script %s %s killed by signal %d", script,
                          action, WTERMSIG(status));
        return -1;
    }
    return 0;
}
