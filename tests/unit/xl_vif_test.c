/*
 * Guest NICs in xl: the xenstore entries of a vif as libxl writes them
 * (dom0/xl/vif_entries.c), the MAC made when none is given, the checks of
 * vif= entries with their FILE:LINE (vif_config.c), and the bridge checks
 * of the hotplug step (vif_hotplug.c) against a fake /sys/class/net.
 */
#include "tests/lib/tap.h"

#include "dom0/xl/cfg_error.c"
#include "dom0/xl/strlist.c"
#include "dom0/xl/cfg_lex.c"
#include "dom0/xl/cfg_settings.c"
#include "dom0/xl/cfg_parse.c"
#include "dom0/xl/cfg_get.c"
#include "dom0/xl/cpumap.c"
#include "dom0/xl/disk_spec.c"
#include "dom0/xl/vif_spec.c"
#include "dom0/lib/hex.c"
#include "dom0/lib/string_hash.c"
#include "dom0/xl/domain_config.c"
#include "dom0/xl/domain_config_general.c"
#include "dom0/xl/domain_config_resources.c"
#include "dom0/xl/domain_config_devices.c"
#include "dom0/xl/domain_config_hvm.c"
#include "dom0/xl/uuid.c"
#include "dom0/xl/read_file.c"
#include "dom0/xl/xl_config.c"
#include "dom0/xl/xs_entries.c"
#include "dom0/xl/vif_entries.c"
#include "dom0/xl/vif_config.c"
#include "dom0/xl/vif_hotplug.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct xs_entry_list l;

#include "xs_entry_check.h"

#define FE "/local/domain/7/device/vif/2"
#define BE "/local/domain/0/backend/vif/7/2"
#define REC "/libxl/7/device/vif/2"

static void test_entries(void)
{
    struct vif_device d = {
        .domid = 7, .backend_domid = 0, .devid = 2,
        .mac = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x0a },
        .bridge = "xenbr0", .script = VIF_DEFAULT_SCRIPT, .ip = "192.168.100.9",
        .vifname = "web0", .has_rate = true, .rate_bytes_per_interval = 62500,
        .rate_interval_usecs = 50000, .mtu = 1500, .trusted = true,
    };
    memset(&l, 0, sizeof(l));
    CHECK("entries built", !vif_entries_add(&d, &l), "failed");
    CHECK("frontend: backend, backend-id, state 1, handle, mac, trusted",
          value_is(FE, NULL) && value_is(FE "/backend", BE) && value_is(FE "/backend-id", "0") &&
          value_is(FE "/state", "1") && value_is(FE "/handle", "2") &&
          value_is(FE "/mac", "00:16:3e:01:02:0a") && value_is(FE "/trusted", "1"), "wrong");
    CHECK("frontend owned by the guest, readable by the backend",
          perms_are(FE, "n7,r0") && perms_are(FE "/mac", "n7,r0"), "wrong");
    CHECK("frontend mtu: the toolstack's, the guest may read it",
          value_is(FE "/mtu", "1500") && perms_are(FE "/mtu", "n0,r7"), "wrong");
    CHECK("backend: frontend, frontend-id, online, state 1",
          value_is(BE "/frontend", FE) && value_is(BE "/frontend-id", "7") &&
          value_is(BE "/online", "1") && value_is(BE "/state", "1"), "wrong");
    CHECK("backend: script, vifname, mac, ip, bridge, handle, type",
          value_is(BE "/script", "/etc/xen/scripts/vif-bridge") &&
          value_is(BE "/vifname", "web0") && value_is(BE "/mac", "00:16:3e:01:02:0a") &&
          value_is(BE "/ip", "192.168.100.9") && value_is(BE "/bridge", "xenbr0") &&
          value_is(BE "/handle", "2") && value_is(BE "/type", "vif"), "wrong");
    CHECK("backend: rate as netback reads it (bytes,usecs)", value_is(BE "/rate", "62500,50000"),
          "wrong");
    CHECK("backend: no mtu key for the default 1500", !find(BE "/mtu"), "present");
    CHECK("backend: hotplug-status empty until the hotplug step",
          value_is(BE "/hotplug-status", ""), "wrong");
    CHECK("backend owned by Dom0, readable by the guest",
          perms_are(BE, "n0,r7") && perms_are(BE "/state", "n0,r7"), "wrong");
    CHECK("xl's record: Dom0 only, with the config",
          perms_are(REC, "n0") && value_is(REC "/frontend", FE) && value_is(REC "/backend", BE) &&
          value_is(REC "/mac", "00:16:3e:01:02:0a") && value_is(REC "/script", VIF_DEFAULT_SCRIPT) &&
          !find(REC "/state"), "wrong");
    xs_entries_free(&l);

    d.has_rate = false;
    d.vifname = d.ip = NULL;
    d.mtu = 9000;
    d.trusted = false;
    memset(&l, 0, sizeof(l));
    vif_entries_add(&d, &l);
    CHECK("no rate, vifname or ip when not given",
          !find(BE "/rate") && !find(BE "/vifname") && !find(BE "/ip"), "present");
    CHECK("mtu 9000 in both, untrusted",
          value_is(BE "/mtu", "9000") && value_is(FE "/mtu", "9000") &&
          value_is(FE "/trusted", "0"), "wrong");
    xs_entries_free(&l);
}

static void test_mac_and_names(void)
{
    const uint8_t u1[16] = { 1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16 };
    uint8_t u2[16];
    memcpy(u2, u1, 16);
    u2[15] ^= 1;
    uint8_t a[6], b[6], c[6], e[6];
    vif_default_mac(u1, 0, a);
    vif_default_mac(u1, 0, b);
    vif_default_mac(u1, 1, c);
    vif_default_mac(u2, 0, e);
    CHECK("default MAC: Xen's prefix, unicast, top bit of byte 4 clear",
          a[0] == 0 && a[1] == 0x16 && a[2] == 0x3e && !(a[3] & 0x80), "%02x", a[3]);
    CHECK("default MAC: the same for the same domain and device", !memcmp(a, b, 6), "differ");
    CHECK("default MAC: another device or domain, another MAC",
          memcmp(a, c, 6) && memcmp(a, e, 6), "same");
    char buf[64];
    CHECK("script: default vif-bridge",
          !strcmp(vif_script_path(NULL, buf, sizeof(buf)), "/etc/xen/scripts/vif-bridge"), "%s",
          buf);
    CHECK("script: a bare name is in /etc/xen/scripts",
          !strcmp(vif_script_path("vif-route", buf, sizeof(buf)), "/etc/xen/scripts/vif-route"),
          "%s", buf);
    CHECK("script: a path is kept",
          !strcmp(vif_script_path("/usr/local/bin/my-vif", buf, sizeof(buf)),
                  "/usr/local/bin/my-vif"), "%s", buf);
    CHECK("interface names", vif_iface_name_ok("vif3.0") && vif_iface_name_ok("web-0_x") &&
          !vif_iface_name_ok("") && !vif_iface_name_ok("a/b") && !vif_iface_name_ok("a:1") &&
          !vif_iface_name_ok("has space") && !vif_iface_name_ok("..") &&
          !vif_iface_name_ok("sixteen-chars-xx") && vif_iface_name_ok("fifteen-chars-x"),
          "wrong");
}

static char err[1024];
static struct xl_config cfg;
static struct build_request r;

static int request(const char *text)
{
    xl_config_free(&cfg);
    err[0] = 0;
    if (xl_config_parse_buffer("t.cfg", text, strlen(text), NULL, 0, &cfg, err, sizeof(err)))
        return -1;
    memset(&r, 0, sizeof(r));
    return vif_config_request(&cfg, &r, err, sizeof(err)) ? -2 : 0;
}

#define HEAD "name=\"d\"\ntype=\"pvh\"\nkernel=\"/k\"\n"

static void test_config(void)
{
    int rc = request(HEAD "vif = [ '', 'bridge=xenbr1,mac=00:16:3e:00:00:01' ]\n");
    CHECK("two vifs taken", rc == 0 && r.n_vifs == 2 && r.vifs[1].has_mac &&
          !strcmp(r.vifs[1].bridge, "xenbr1") && r.vifs[1].devid == 1, "%d %s", rc, err);
    rc = request(HEAD "vif = [ 'bridge=xenbr0',\n        'type=ioemu' ]\n");
    CHECK("type=ioemu refused at the entry's line",
          rc == -2 && !strncmp(err, "t.cfg:5: vif entry 2: type=ioemu", 32), "%s", err);
    rc = request(HEAD "vif = [ 'backend=netdom' ]\n");
    CHECK("a driver domain refused", rc == -2 && strstr(err, "t.cfg:4: vif entry 1: backend=netdom"),
          "%s", err);
    rc = request(HEAD "vif = [ 'backend=Domain-0', 'backend=0' ]\n");
    CHECK("backend Dom0 by name or number accepted", rc == 0, "%s", err);
    rc = request(HEAD "vif = [ 'vifname=this-name-is-too-long' ]\n");
    CHECK("a vifname Linux would not take refused",
          rc == -2 && strstr(err, "vifname=this-name-is-too-long is not a name"), "%s", err);
    rc = request(HEAD "vif = [ 'vifname=web', 'vifname=web' ]\n");
    CHECK("the same vifname twice refused", rc == -2 && strstr(err, "vif entry 2: vifname=web"),
          "%s", err);
    rc = request(HEAD "vif = [ 'bridge=a/b' ]\n");
    CHECK("a bridge that cannot be an interface refused", rc == -2 && strstr(err, "bridge=a/b"),
          "%s", err);
    rc = request(HEAD "vif = [ 'devid=70000' ]\n");
    CHECK("devid above 65535 refused", rc == -2 && strstr(err, "devid=70000"), "%s", err);
    rc = request(HEAD "vif = [ 'bridge=xenbr0,frobnicate=1' ]\n");
    CHECK("an unknown key refused by the parser with FILE:LINE and the key",
          rc == -1 && !strncmp(err, "t.cfg:4: invalid vif specification", 34) &&
          strstr(err, "frobnicate=1"), "%s", err);
    xl_config_free(&cfg);
}

/* A fake /sys/class/net: directories and symlinks under a temp dir. */
static char root[128];

static void mk(const char *rel)
{
    char p[512], *s;
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        mkdir(p, 0755);
        *s = '/';
    }
    mkdir(p, 0755);
}

static void ln(const char *target, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    if (symlink(target, p))
        perror(p);
}

static void test_bridges(void)
{
    snprintf(root, sizeof(root), "/tmp/xl_vif_test.%d", (int)getpid());
    vif_sysfs_net = root;
    mkdir(root, 0755);
    /* xenbr0: a bridge with one vif (a xen-backend device). */
    mk("xenbr0/bridge");
    mk("xenbr0/brif");
    mk("vif3.0/devdir");
    ln("/sys/bus/xen-backend", "vif3.0/devdir/subsystem");
    ln("devdir", "vif3.0/device");
    ln("../../vif3.0", "xenbr0/brif/vif3.0");
    /* br1: a bridge holding eth0 (PCI). */
    mk("br1/bridge");
    mk("br1/brif");
    mk("eth0/devdir");
    ln("/sys/bus/pci", "eth0/devdir/subsystem");
    ln("devdir", "eth0/device");
    ln("../../eth0", "br1/brif/eth0");
    /* br2: a bridge holding a VLAN on a bond on eth1 (no device links
     * but the lowest). */
    mk("br2/bridge");
    mk("br2/brif");
    mk("eth1/devdir");
    ln("/sys/bus/pci", "eth1/devdir/subsystem");
    ln("devdir", "eth1/device");
    mk("bond0");
    ln("../eth1", "bond0/lower_eth1");
    mk("bond0.7");
    ln("../bond0", "bond0.7/lower_bond0");
    ln("../../bond0.7", "br2/brif/bond0.7");
    /* dummy0: an interface that is no bridge. */
    mk("dummy0");

    CHECK("a bridge of vifs is fine", !vif_bridge_check("xenbr0", err, sizeof(err)), "%s", err);
    CHECK("a missing bridge is a clear error",
          vif_bridge_check("xenbr9", err, sizeof(err)) &&
          strstr(err, "bridge 'xenbr9' does not exist"), "%s", err);
    CHECK("an interface that is not a bridge is refused",
          vif_bridge_check("dummy0", err, sizeof(err)) && strstr(err, "not a bridge"), "%s", err);
    CHECK("a bridge holding a physical NIC is refused, naming the NIC and the reason",
          vif_bridge_check("br1", err, sizeof(err)) && strstr(err, "physical NIC 'eth0'") &&
          strstr(err, "IOMMU") && strstr(err, "DMA"), "%s", err);
    CHECK("... also when the NIC is below a VLAN and a bond",
          vif_bridge_check("br2", err, sizeof(err)) && strstr(err, "physical NIC 'eth1'"), "%s",
          err);
    CHECK("interfaces are found in the tree", vif_iface_exists("vif3.0") &&
          !vif_iface_exists("vif3.1"), "wrong");
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd)) {
        /* A leftover temp dir harms nothing. */
    }
}

int main(void)
{
    TAP_PLAN(35);
    test_entries();
    test_mac_and_names();
    test_config();
    test_bridges();
    TAP_EXIT();
}
