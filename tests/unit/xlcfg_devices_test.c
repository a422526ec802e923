/*
 * xl.cfg value syntaxes below the file grammar: CPU lists
 * (dom0/xl/cpumap.c), disk specifications (dom0/xl/disk_spec.c) and
 * network interface specifications (dom0/xl/vif_spec.c), and how the
 * domain configuration reports their errors.
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

#include <stdio.h>
#include <string.h>

static char why[512];

static bool streq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* ================= CPU lists ================= */

/* Expects exactly the CPUs in want (a -1 terminated list). */
static void cpus_ok(const char *text, const int *want)
{
    struct cpumap map;
    char name[128];
    unsigned n = 0;
    bool same = true;

    snprintf(name, sizeof(name), "cpulist: '%s'", text);
    if (cpumap_parse(text, &map, why, sizeof(why))) {
        CHECK(name, false, "%s", why);
        return;
    }
    for (; want[n] >= 0; n++)
        same = same && cpumap_test(&map, (unsigned)want[n]);
    CHECK(name, same && cpumap_count(&map) == n, "count %u, want %u", cpumap_count(&map), n);
}

static void cpus_bad(const char *text, const char *want)
{
    struct cpumap map;
    char name[128];
    int rc = cpumap_parse(text, &map, why, sizeof(why));

    snprintf(name, sizeof(name), "cpulist error: '%s'", text);
    CHECK(name, rc == -1 && !strcmp(why, want), "got [%s], want [%s]", rc ? why : "(ok)", want);
}

static void test_cpu_lists(void)
{
    struct cpumap map;

    cpus_ok("0", (const int[]){ 0, -1 });
    cpus_ok("0-3,5", (const int[]){ 0, 1, 2, 3, 5, -1 });
    cpus_ok("0-3,5,^1", (const int[]){ 0, 2, 3, 5, -1 });
    cpus_ok("3-3", (const int[]){ 3, -1 });
    cpus_ok("1,1,1", (const int[]){ 1, -1 });
    cpus_ok(",,2,", (const int[]){ 2, -1 });
    cpus_ok("0, 2", (const int[]){ 0, 2, -1 });
    cpus_ok("^1,1", (const int[]){ 1, -1 });
    cpus_ok("0-7,^2-5", (const int[]){ 0, 1, 6, 7, -1 });
    cpus_ok("511", (const int[]){ 511, -1 });

    CHECK("cpulist: 'all'", !cpumap_parse("all", &map, why, sizeof(why)) &&
          cpumap_count(&map) == CPUMAP_MAX_CPUS, "%s", why);
    CHECK("cpulist: 'all,^7'", !cpumap_parse("all,^7", &map, why, sizeof(why)) &&
          cpumap_count(&map) == CPUMAP_MAX_CPUS - 1 && !cpumap_test(&map, 7) &&
          cpumap_test(&map, 8), "%s", why);
    CHECK("cpulist: 'all,^5-8' as in xl.cfg(5)", !cpumap_parse("all,^5-8", &map, why,
          sizeof(why)) && cpumap_count(&map) == CPUMAP_MAX_CPUS - 4 &&
          !cpumap_test(&map, 5) && !cpumap_test(&map, 8) && cpumap_test(&map, 9), "%s", why);
    CHECK("cpulist: 'all' after removals re-adds", !cpumap_parse("^1,all", &map, why,
          sizeof(why)) && cpumap_test(&map, 1), "%s", why);

    cpus_bad("", "CPU list '' selects no CPU");
    cpus_bad("^1", "CPU list '^1' selects no CPU");
    cpus_bad("0,^0", "CPU list '0,^0' selects no CPU");
    cpus_bad("3-1", "invalid CPU range '3-1' (the end is below the start)");
    cpus_bad("1-", "invalid CPU range '1-'");
    cpus_bad("-1", "invalid CPU range '-1'");
    cpus_bad("a", "invalid CPU range 'a'");
    cpus_bad("1 ", "invalid CPU range '1 '");
    cpus_bad("1-2-3", "invalid CPU range '1-2-3'");
    cpus_bad("0x1", "invalid CPU range '0x1'");
    cpus_bad("^all", "'^' cannot be combined with 'all'");
    cpus_bad("512", "CPU numbers must be below 512, in '512'");
    cpus_bad("0-99999999999999999999999", "CPU numbers must be below 512, in "
             "'0-99999999999999999999999'");
    cpus_bad("nodes:0-3,^node:2", "NUMA node terms like 'nodes:0-3' are not supported; "
             "list CPUs instead");
    cpus_bad("1,^node:2", "NUMA node terms like '^node:2' are not supported; list CPUs "
             "instead");
}

/* ================= disks ================= */

struct disk_want {
    const char *target;         /* NULL: none */
    enum disk_format format;
    const char *vdev;
    bool readwrite;
    bool is_cdrom;
};

static void disk_ok(const char *spec, struct disk_want w)
{
    struct disk_spec d;
    char name[160];

    snprintf(name, sizeof(name), "disk: '%s'", spec);
    if (disk_spec_parse(spec, &d, why, sizeof(why))) {
        CHECK(name, false, "%s", why);
        return;
    }
    CHECK(name, (w.target ? streq(d.target, w.target) : !d.target) && d.format == w.format &&
          streq(d.vdev, w.vdev) && d.readwrite == w.readwrite && d.is_cdrom == w.is_cdrom &&
          d.removable == w.is_cdrom,
          "target=%s format=%s vdev=%s rw=%d cdrom=%d", d.target ? d.target : "(none)",
          disk_format_name(d.format), d.vdev, d.readwrite, d.is_cdrom);
    disk_spec_free(&d);
}

static void disk_bad(const char *spec, const char *want)
{
    struct disk_spec d;
    char name[160];
    int rc = disk_spec_parse(spec, &d, why, sizeof(why));

    snprintf(name, sizeof(name), "disk error: '%s'", spec);
    CHECK(name, rc == -1 && !strcmp(why, want), "got [%s], want [%s]", rc ? why : "(ok)", want);
    if (!rc)
        disk_spec_free(&d);
}

static void test_disk_positional(void)
{
    const struct disk_want vol = { "/dev/vg/guest-volume", DISK_FORMAT_RAW, "hda", true, false };
    const struct disk_want iso = { "/root/image.iso", DISK_FORMAT_RAW, "hdc", false, true };

    /* The equivalent forms listed in xl-disk-configuration(5). */
    disk_ok("/dev/vg/guest-volume,,hda", vol);
    disk_ok("/dev/vg/guest-volume,raw,hda,rw", vol);
    disk_ok("format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume", vol);
    disk_ok("raw:/dev/vg/guest-volume,hda,w", vol);
    disk_ok("/root/image.iso,,hdc,cdrom", iso);
    disk_ok("/root/image.iso,,hdc,,cdrom", iso);
    disk_ok("/root/image.iso,raw,hdc,devtype=cdrom", iso);
    disk_ok("format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso", iso);
    disk_ok("raw:/root/image.iso,hdc:cdrom,ro", iso);

    /* Legacy xm/xend forms. */
    disk_ok("phy:/dev/vg/lv,xvda,w",
            (struct disk_want){ "/dev/vg/lv", DISK_FORMAT_RAW, "xvda", true, false });
    disk_ok("file:/path/img,xvdb,r",
            (struct disk_want){ "/path/img", DISK_FORMAT_RAW, "xvdb", false, false });
    disk_ok("tap:aio:/srv/a.img,xvda,w",
            (struct disk_want){ "/srv/a.img", DISK_FORMAT_RAW, "xvda", true, false });
    disk_ok("tap:qcow2:/srv/a.qcow2,xvda,w",
            (struct disk_want){ "/srv/a.qcow2", DISK_FORMAT_QCOW2, "xvda", true, false });
    disk_ok("tap2:tapdisk:vhd:/srv/a.vhd,xvda,r",
            (struct disk_want){ "/srv/a.vhd", DISK_FORMAT_VHD, "xvda", false, false });
    disk_ok("qcow:/srv/a.qcow,xvda",
            (struct disk_want){ "/srv/a.qcow", DISK_FORMAT_QCOW, "xvda", true, false });
    disk_ok("ioemu:/srv/a.img,hda,w",
            (struct disk_want){ "/srv/a.img", DISK_FORMAT_RAW, "hda", true, false });
    disk_ok(",hdc:cdrom,r", (struct disk_want){ NULL, DISK_FORMAT_EMPTY, "hdc", false, true });
    disk_ok("phy:,hdc:cdrom,r",
            (struct disk_want){ NULL, DISK_FORMAT_EMPTY, "hdc", false, true });
    disk_ok("/srv/a.img,,xvda:disk,w",
            (struct disk_want){ "/srv/a.img", DISK_FORMAT_RAW, "xvda", true, false });

    /* Positional with formats. */
    disk_ok("/srv/a.qcow2,qcow2,xvda,rw",
            (struct disk_want){ "/srv/a.qcow2", DISK_FORMAT_QCOW2, "xvda", true, false });
    disk_ok("/srv/a.qed,qed,xvda",
            (struct disk_want){ "/srv/a.qed", DISK_FORMAT_QED, "xvda", true, false });
    disk_ok("/srv/a.vhd,vhd,xvda,ro",
            (struct disk_want){ "/srv/a.vhd", DISK_FORMAT_VHD, "xvda", false, false });
    disk_ok("  /srv/a.img,  raw,  xvda,  r",
            (struct disk_want){ "/srv/a.img", DISK_FORMAT_RAW, "xvda", false, false });
    disk_ok("/srv/a.img,raw,xvda,w,",
            (struct disk_want){ "/srv/a.img", DISK_FORMAT_RAW, "xvda", true, false });
    disk_ok("vdev=xvda,cdrom", (struct disk_want){ NULL, DISK_FORMAT_EMPTY, "xvda", false, true });
    disk_ok("/x.iso,,hdc,devtype=cdrom,devtype=disk",
            (struct disk_want){ "/x.iso", DISK_FORMAT_RAW, "hdc", true, false });
    disk_ok("/dev/disk/by-path/pci-0000:00:1f.2-ata-1,,xvda",
            (struct disk_want){ "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", DISK_FORMAT_RAW,
                                "xvda", true, false });
}

static void test_disk_keywords(void)
{
    struct disk_spec d;

    disk_ok("vdev=xvda, target=/srv/a,b,c,",
            (struct disk_want){ "/srv/a,b,c", DISK_FORMAT_RAW, "xvda", true, false });
    disk_ok("vdev=xvda,target=/srv/with space ",
            (struct disk_want){ "/srv/with space ", DISK_FORMAT_RAW, "xvda", true, false });
    disk_ok("format=qcow2,/srv/a.qcow2,xvda",
            (struct disk_want){ "/srv/a.qcow2", DISK_FORMAT_QCOW2, "xvda", true, false });
    disk_ok("format=raw,format=raw,/x,xvda",
            (struct disk_want){ "/x", DISK_FORMAT_RAW, "xvda", true, false });
    disk_ok("vdev=,vdev=xvdb,target=/x",
            (struct disk_want){ "/x", DISK_FORMAT_RAW, "xvdb", true, false });
    disk_ok("/x,,xvda,access=r,access=rw",
            (struct disk_want){ "/x", DISK_FORMAT_RAW, "xvda", true, false });

    CHECK("disk: backendtype, backend, script, flags",
          !disk_spec_parse("/dev/vg/lv,,xvda,backendtype=phy,backend=driverdom,"
                           "script=block-custom,direct-io-safe,no-discard,untrusted,"
                           "specification=xen,grant_usage=0", &d, why, sizeof(why)) &&
          d.backendtype == DISK_BACKEND_PHY && streq(d.backend_domain, "driverdom") &&
          streq(d.script, "block-custom") && d.direct_io_safe &&
          d.discard == TRISTATE_FALSE && d.trusted == TRISTATE_FALSE &&
          d.specification == DISK_SPECIFICATION_XEN && d.grant_usage == TRISTATE_FALSE, "%s",
          why);
    disk_spec_free(&d);
    CHECK("disk: defaults of optional fields",
          !disk_spec_parse("/x,,xvda", &d, why, sizeof(why)) &&
          d.backendtype == DISK_BACKEND_DEFAULT && !d.backend_domain && !d.script &&
          !d.direct_io_safe && d.discard == TRISTATE_DEFAULT &&
          d.trusted == TRISTATE_DEFAULT && d.specification == DISK_SPECIFICATION_DEFAULT &&
          d.colo == TRISTATE_DEFAULT, "%s", why);
    disk_spec_free(&d);
    CHECK("disk: qdisk backend, discard, trusted, virtio",
          !disk_spec_parse("backendtype=qdisk,discard,trusted,specification=virtio,"
                           "grant_usage=1,vdev=xvda,target=/x", &d, why, sizeof(why)) &&
          d.backendtype == DISK_BACKEND_QDISK && d.discard == TRISTATE_TRUE &&
          d.trusted == TRISTATE_TRUE && d.specification == DISK_SPECIFICATION_VIRTIO &&
          d.grant_usage == TRISTATE_TRUE, "%s", why);
    disk_spec_free(&d);
    CHECK("disk: iscsi: prefix sets the script",
          !disk_spec_parse("iscsi:iqn.2001-04.com.example:storage,xvda,w", &d, why,
                           sizeof(why)) && streq(d.script, "block-iscsi") &&
          streq(d.target, "iqn.2001-04.com.example:storage") && streq(d.vdev, "xvda"),
          "%s", why);
    disk_spec_free(&d);
    CHECK("disk: nbd: prefix with host:port",
          !disk_spec_parse("nbd:host:1234,xvda,w", &d, why, sizeof(why)) &&
          streq(d.script, "block-nbd") && streq(d.target, "host:1234"), "%s", why);
    disk_spec_free(&d);
    CHECK("disk: drbd: and enbd: prefixes",
          !disk_spec_parse("drbd:res0,xvda", &d, why, sizeof(why)) &&
          streq(d.script, "block-drbd"), "%s", why);
    disk_spec_free(&d);
    CHECK("disk: COLO parameters",
          !disk_spec_parse("/x,,xvda,colo,colo-host=10.0.0.2,colo-port=9000,colo-export=e1,"
                           "active-disk=/a,hidden-disk=/h", &d, why, sizeof(why)) &&
          d.colo == TRISTATE_TRUE && streq(d.colo_host, "10.0.0.2") && d.colo_port == 9000 &&
          streq(d.colo_export, "e1") && streq(d.active_disk, "/a") &&
          streq(d.hidden_disk, "/h"), "%s", why);
    disk_spec_free(&d);
    CHECK("disk: format names", !strcmp(disk_format_name(DISK_FORMAT_QCOW2), "qcow2") &&
          !strcmp(disk_format_name(DISK_FORMAT_EMPTY), "empty"), "%s", "");
}

static void test_disk_errors(void)
{
    disk_bad("/dev/vg/lv,xvda,w", "unknown format 'xvda'");
    disk_bad("/x,raw", "no vdev specified");
    disk_bad("vdev=xvda", "no target specified (and the device is not a CD-ROM)");
    disk_bad(",raw,xvda", "no target specified (and the device is not a CD-ROM)");
    disk_bad("/x,,xvda,rx", "unknown access mode (expected r, ro, w or rw) 'rx'");
    disk_bad("/x,,xvda,access=x", "unknown access mode (expected r, ro, w or rw) 'x'");
    disk_bad("/x,qcow3,xvda", "unknown format 'qcow3'");
    disk_bad("/x,raw,xvda,rw,extra", "too many positional parameters, at 'extra'");
    disk_bad("format=raw,format=qcow2,/x,xvda", "format given twice, now as 'qcow2'");
    /* After a prefix the second positional parameter is the vdev. */
    disk_bad("raw:/x,vhd,xvda", "unknown access mode (expected r, ro, w or rw) 'xvda'");
    disk_bad("vdev=xvda,vdev=xvdb,target=/x", "vdev given twice, now as 'xvdb'");
    disk_bad("/x,raw,xvda,vdev=xvdb", "vdev given twice, now as 'xvdb'");
    disk_bad("script=a,script=b,/x,,xvda", "script given twice, now as 'b'");
    disk_bad("iscsi:/x,xvda,script=foo", "script given twice, now as 'foo'");
    disk_bad("/x,,xvda,backendtype=foo",
             "unknown backendtype (expected phy, tap, qdisk or standalone) 'foo'");
    disk_bad("/x,,xvda,backendtype=phy,backendtype=tap", "backendtype given twice, now as 'tap'");
    disk_bad("/x,,xvda,specification=foo", "unknown specification (expected xen or virtio) 'foo'");
    disk_bad("/x,,xvda,devtype=floppy", "unknown devtype (expected cdrom or disk) 'floppy'");
    disk_bad("/x,,xvda:floppy", "unknown device type after ':' (expected cdrom or disk) 'floppy'");
    disk_bad("/x,,xvda,foo=bar", "unknown parameter 'foo'");
    disk_bad("/x,,xvda,Foo=bar", "bad disk syntax near 'Foo=bar'");
    disk_bad("/x,,xvda,=bar", "bad disk syntax near '=bar'");
    disk_bad("/x=y,,xvda", "bad disk syntax near '/x=y'");
    disk_bad("foo:/x,xvda,w", "unknown deprecated disk prefix 'foo:'");
    disk_bad("a:", "unknown deprecated disk prefix 'a:'");
    disk_bad("/x,,xvda,colo-port=0", "invalid colo-port '0'");
    disk_bad("/x,,xvda,colo-port=70000", "invalid colo-port '70000'");
    disk_bad("/x,,xvda,grant_usage=2", "grant_usage must be 0 or 1, not '2'");
    disk_bad("", "no vdev specified");
    disk_bad("vdev=,target=/x", "no vdev specified");
}

/* ================= vifs ================= */

static void vif_bad(const char *spec, const char *want)
{
    struct vif_spec v;
    char name[160];
    int rc = vif_spec_parse(spec, 0, &v, NULL, why, sizeof(why));

    snprintf(name, sizeof(name), "vif error: '%s'", spec);
    CHECK(name, rc == -1 && !strcmp(why, want), "got [%s], want [%s]", rc ? why : "(ok)", want);
    if (!rc)
        vif_spec_free(&v);
}

static void test_vifs(void)
{
    static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x74, 0x3d, 0x76 };
    struct strlist notes = { 0 };
    struct vif_spec v;
    uint64_t bytes;
    uint32_t usecs;

    CHECK("vif: all string parameters",
          !vif_spec_parse("mac=00:16:3E:74:3d:76,bridge=xenbr1,ip=192.0.2.7 192.0.2.8,"
                          "model=e1000,type=ioemu,vifname=web0,script=vif-route,"
                          "backend=netdom,gatewaydev=eth1,vlan=10p/20,mtu=9000,devid=7,"
                          "rate=10Mb/s,trusted", 3, &v, &notes, why, sizeof(why)) &&
          v.has_mac && !memcmp(v.mac, mac, 6) && streq(v.bridge, "xenbr1") &&
          streq(v.ip, "192.0.2.7 192.0.2.8") && streq(v.model, "e1000") &&
          v.type == VIF_TYPE_IOEMU && streq(v.vifname, "web0") &&
          streq(v.script, "vif-route") && streq(v.backend_domain, "netdom") &&
          streq(v.gatewaydev, "eth1") && streq(v.vlan, "10p/20") && v.mtu == 9000 &&
          v.devid == 7 && v.has_rate && v.rate_interval_usecs == 50000 &&
          v.rate_bytes_per_interval == 62500 && v.trusted == TRISTATE_TRUE &&
          notes.count == 0, "%s", why);
    vif_spec_free(&v);
    CHECK("vif: empty spec gives defaults",
          !vif_spec_parse("", 2, &v, &notes, why, sizeof(why)) && v.devid == 2 &&
          !v.has_mac && !v.bridge && v.type == VIF_TYPE_DEFAULT && !v.has_rate && !v.mtu &&
          v.trusted == TRISTATE_DEFAULT, "%s", why);
    vif_spec_free(&v);
    CHECK("vif: blanks after commas, empty parameters, later value wins",
          !vif_spec_parse("bridge=a, ,, bridge=b,type=vif,untrusted", 0, &v, &notes, why,
                          sizeof(why)) && streq(v.bridge, "b") && v.type == VIF_TYPE_VIF &&
          v.trusted == TRISTATE_FALSE, "%s", why);
    vif_spec_free(&v);
    CHECK("vif: MAC with single digits and dashes",
          !vif_spec_parse("mac=2-16-3e-0-a-ff", 0, &v, &notes, why, sizeof(why)) &&
          v.mac[0] == 2 && v.mac[3] == 0 && v.mac[4] == 0x0a && v.mac[5] == 0xff, "%s", why);
    vif_spec_free(&v);
    CHECK("vif: netdev= is gatewaydev= with a warning",
          !vif_spec_parse("netdev=eth0,accel=x,colo_sock_mirror_id=1,forwarddev=eth2", 0, &v,
                          &notes, why, sizeof(why)) && streq(v.gatewaydev, "eth0") &&
          notes.count == 4 &&
          streq(notes.items[0], "vif: netdev= is deprecated, use gatewaydev=") &&
          streq(notes.items[1], "vif: accel= is not supported and was ignored") &&
          streq(notes.items[2], "vif: colo_sock_mirror_id= is not supported and was ignored"),
          "%s %zu", why, notes.count);
    vif_spec_free(&v);
    strlist_free(&notes);

    vif_bad("mac=00:16:3e:74:3d", "invalid MAC address '00:16:3e:74:3d' (expected six hex "
            "bytes like 00:16:3e:12:34:56)");
    vif_bad("mac=00:16:3e:74:3d:76:00", "invalid MAC address '00:16:3e:74:3d:76:00' (expected "
            "six hex bytes like 00:16:3e:12:34:56)");
    vif_bad("mac=00:16:3e:74:3d:7g", "invalid MAC address '00:16:3e:74:3d:7g' (expected six "
            "hex bytes like 00:16:3e:12:34:56)");
    vif_bad("mac=001:16:3e:74:3d:76", "invalid MAC address '001:16:3e:74:3d:76' (expected six "
            "hex bytes like 00:16:3e:12:34:56)");
    vif_bad("mac=", "invalid MAC address '' (expected six hex bytes like 00:16:3e:12:34:56)");
    vif_bad("mac=01:00:5e:00:00:01", "MAC address '01:00:5e:00:00:01' is a multicast address "
            "(the low bit of the first byte must be 0)");
    vif_bad("type=e1000", "type must be vif or ioemu, not 'e1000'");
    vif_bad("bridge=xenbr0,colour=red", "unrecognized parameter 'colour=red'");
    vif_bad("xenbr0", "unrecognized parameter 'xenbr0'");
    vif_bad("mtu=9", "mtu must be a number from 68 to 65535, not '9'");
    vif_bad("mtu=1500b", "mtu must be a number from 68 to 65535, not '1500b'");
    vif_bad("devid=-1", "devid must be a number from 0 to 2147483647, not '-1'");
    vif_bad("rate=10Mb", "invalid rate (expected e.g. 10Mb/s or 250KB/s) '10Mb'");
    vif_bad("rate=@20ms", "no rate specified in '@20ms'");
    vif_bad("rate=0Mb/s", "rate must be greater than zero in '0Mb/s'");
    vif_bad("rate=10Mb/s@20h", "invalid replenishment interval (expected e.g. 20ms) '20h'");
    vif_bad("rate=10Mb/s@0", "replenishment interval must be greater than zero in '0'");

    CHECK("vif rate: 1MB/s@20ms as in xl-network-configuration(5)",
          !vif_parse_rate("1MB/s@20ms", &bytes, &usecs, why, sizeof(why)) &&
          bytes == 20000 && usecs == 20000, "%llu %u", (unsigned long long)bytes, usecs);
    CHECK("vif rate: 250KB/s", !vif_parse_rate("250KB/s", &bytes, &usecs, why, sizeof(why)) &&
          bytes == 12500 && usecs == 50000, "%llu", (unsigned long long)bytes);
    CHECK("vif rate: 1Gb/s@1s", !vif_parse_rate("1Gb/s@1s", &bytes, &usecs, why, sizeof(why)) &&
          bytes == 125000000 && usecs == 1000000, "%llu", (unsigned long long)bytes);
    CHECK("vif rate: bytes with us interval",
          !vif_parse_rate("5B/s@5000us", &bytes, &usecs, why, sizeof(why)) && bytes == 0 &&
          usecs == 5000, "%llu", (unsigned long long)bytes);
    CHECK("vif rate: interval in seconds without unit",
          !vif_parse_rate("8b/s@2", &bytes, &usecs, why, sizeof(why)) && bytes == 2 &&
          usecs == 2000000, "%llu %u", (unsigned long long)bytes, usecs);
    CHECK("vif rate: largest rate at 1 us",
          !vif_parse_rate("4294967295GB/s@1us", &bytes, &usecs, why, sizeof(why)) &&
          bytes == 4294967295000ULL && usecs == 1, "%s", why);
    CHECK("vif rate: overflow",
          vif_parse_rate("4294967295GB/s@4294967295us", &bytes, &usecs, why, sizeof(why)) == -1 &&
          !strcmp(why, "rate overflow in '4294967295GB/s@4294967295us'"), "%s", why);
    CHECK("vif rate: interval too long",
          vif_parse_rate("1MB/s@4295s", &bytes, &usecs, why, sizeof(why)) == -1 &&
          !strcmp(why, "replenishment interval too long in '4295s'"), "%s", why);
}

/* ================= devices in a domain configuration ================= */

static struct domain_config cfg;
static char err[1024];

static void config_error(const char *name, const char *text, const char *want)
{
    int rc = domain_config_parse_buffer("d.cfg", text, strlen(text), NULL, 0, &cfg, err,
                                        sizeof(err));

    CHECK(name, rc == -1 && !strcmp(err, want), "got [%s], want [%s]", rc ? err : "(built)",
          want);
    if (!rc)
        domain_config_free(&cfg);
}

static void test_device_settings(void)
{
    const char *text = "name='x'\nvif = [ '', 'bridge=xenbr1', 'devid=5' ]\n"
                       "vif += [ 'accel=1' ]\n";
    int rc = domain_config_parse_buffer("d.cfg", text, strlen(text), NULL, 0, &cfg, err,
                                        sizeof(err));

    CHECK("devices: vif devids follow list positions", rc == 0 && cfg.n_vifs == 4 &&
          cfg.vifs[0].devid == 0 && cfg.vifs[1].devid == 1 && cfg.vifs[2].devid == 5 &&
          cfg.vifs[3].devid == 3, "%s", err);
    CHECK("devices: vif warnings carry the entry's line", rc == 0 &&
          cfg.warnings.count == 1 &&
          streq(cfg.warnings.items[0], "d.cfg:3: vif: accel= is not supported and was ignored"),
          "%zu", cfg.warnings.count);
    if (!rc)
        domain_config_free(&cfg);

    config_error("devices: disk must be a list", "name='x'\ndisk = 'phy:/dev/a,xvda,w'\n",
                 "d.cfg:2: value for 'disk' must be a list like [ \"...\", \"...\" ]");
    config_error("devices: bad disk names the entry's line",
                 "name='x'\ndisk = [ 'phy:/dev/a,xvda,w',\n         '/dev/b,xvdb,w' ]\n",
                 "d.cfg:3: invalid disk specification '/dev/b,xvdb,w': unknown format 'xvdb'");
    config_error("devices: nested list in disk", "name='x'\ndisk = [ [ 'a' ] ]\n",
                 "d.cfg:2: disk entry 1 must be a string, not a list");
    config_error("devices: duplicate vdev",
                 "name='x'\ndisk = [ '/a,,xvda', '/b,,xvdb', '/c,,xvda' ]\n",
                 "d.cfg:2: disk entries 1 and 3 both use vdev 'xvda'");
    config_error("devices: bad vif", "name='x'\nvif = [ 'mac=zz' ]\n",
                 "d.cfg:2: invalid vif specification 'mac=zz': invalid MAC address 'zz' "
                 "(expected six hex bytes like 00:16:3e:12:34:56)");
    config_error("devices: duplicate devid", "name='x'\nvif = [ '', 'devid=0' ]\n",
                 "d.cfg:2: vif entries 1 and 2 both have devid 0");
    config_error("devices: vif must be a list", "name='x'\nvif = 'bridge=xenbr0'\n",
                 "d.cfg:2: value for 'vif' must be a list like [ \"...\", \"...\" ]");
    {
        static char many[300 * 16];
        size_t len = (size_t)sprintf(many, "name='x'\ndisk = [");
        for (int i = 0; i < 257; i++)
            len += (size_t)sprintf(many + len, "'/a,,d%d',", i);
        sprintf(many + len, "]\n");
        config_error("devices: at most 256 disks", many,
                     "d.cfg:2: too many disk entries (257; at most 256)");
    }
}

int main(void)
{
    TAP_PLAN(140);
    test_cpu_lists();
    test_disk_positional();
    test_disk_keywords();
    test_disk_errors();
    test_vifs();
    test_device_settings();
    TAP_EXIT();
}
