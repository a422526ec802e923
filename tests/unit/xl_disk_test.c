/*
 * Guest disks in xl (dom0/xl/disk_vbd.c, qemu_dm_args.c): device numbers
 * as Xen and QEMU compute them, what Basalt refuses and why, the vbd's
 * xenstore entries and permissions as libxl writes them for
 * backendtype=qdisk, reading a vbd back from the toolstack's record, and
 * QEMU's command line as libxl builds it.
 */
#include "tests/lib/tap.h"

#include "dom0/xl/cfg_error.c"
#include "dom0/xl/disk_spec.c"
#include "dom0/xl/xs_entries.c"
#include "dom0/xl/uuid.c"
#include "dom0/xl/disk_vbd.c"
#include "dom0/xl/qemu_dm_args.c"

#include <stdio.h>
#include <string.h>

static void devid_is(const char *vdev, long want)
{
    char name[96];
    long got = vbd_devid(vdev);
    snprintf(name, sizeof(name), "devid %s = %ld", vdev, want);
    CHECK(name, got == want, "got %ld", got);
}

static void test_devids(void)
{
    devid_is("xvda", 51712);
    devid_is("xvdb", 51728);
    devid_is("xvda1", 51713);
    devid_is("xvda15", 51727);
    devid_is("xvdp", (202 << 8) | (15 << 4));
    devid_is("xvdq", (1L << 28) | (16 << 8));           /* extended: disk 16 */
    devid_is("xvda16", (1L << 28) | 16);                /* extended: partition 16 */
    devid_is("xvdaa", (1L << 28) | (26 << 8));          /* base 26: aa = 26 */
    devid_is("xvdba", (1L << 28) | (52 << 8));
    devid_is("d0p0", 51712);
    devid_is("d1p2", 51730);
    devid_is("d16p0", (1L << 28) | (16 << 8));
    devid_is("hda", 3 << 8);
    devid_is("hdb", (3 << 8) | 64);
    devid_is("hdc", 22 << 8);
    devid_is("hdd1", (22 << 8) | 64 | 1);
    devid_is("sda", 8 << 8);
    devid_is("sdb3", (8 << 8) | 16 | 3);
    static const char *const bad[] = {
        "", "xvd", "xvdA", "xvda0", "xvda01", "xvda256", "51712", "hde", "hda64", "sdq",
        "sda16", "d0p", "d00p1", "dp1", "d0p256", "xvda-1", "vda", "xvd a",
        "xvdaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    int refused = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long got = vbd_devid(bad[i]);
        if (got < 0)
            refused++;
        else
            printf("# '%s' gave %ld\n", bad[i], got);
    }
    CHECK("devid: malformed vdev names refused", refused == (int)(sizeof(bad) / sizeof(bad[0])),
          "%d of %zu", refused, sizeof(bad) / sizeof(bad[0]));
}

static int from(const char *text, struct vbd *v, char *why, size_t whylen)
{
    struct disk_spec spec;
    if (disk_spec_parse(text, &spec, why, whylen))
        return -2;
    int rc = vbd_from_spec(&spec, v, why, whylen);
    disk_spec_free(&spec);
    return rc;
}

static void refused(const char *text, const char *key)
{
    char why[512], name[160];
    struct vbd v;
    int rc = from(text, &v, why, sizeof(why));
    snprintf(name, sizeof(name), "refused: '%s' names %s", text, key);
    CHECK(name, rc == -1 && strstr(why, key), "rc %d: %s", rc, why);
    if (!rc)
        vbd_free(&v);
}

static void test_from_spec(void)
{
    char why[512], params[256];
    struct vbd v;

    int rc = from("phy:/dev/zvol/tank/web,xvda,w", &v, why, sizeof(why));
    vbd_params(&v, params, sizeof(params));
    CHECK("phy: prefix: a qdisk vbd, raw as aio:PATH", rc == 0 && v.devid == 51712 &&
          !strcmp(v.vdev, "xvda") && !strcmp(params, "aio:/dev/zvol/tank/web") && v.readwrite &&
          v.discard && v.trusted && !v.is_cdrom && !v.direct_io_safe, "%s %s", why, params);
    vbd_free(&v);
    rc = from("format=qcow2,vdev=xvdb,target=/srv/b.qcow2", &v, why, sizeof(why));
    vbd_params(&v, params, sizeof(params));
    CHECK("qcow2: qcow2:PATH", rc == 0 && v.devid == 51728 &&
          !strcmp(params, "qcow2:/srv/b.qcow2") && v.readwrite && v.discard, "%s", params);
    vbd_free(&v);
    rc = from("/srv/iso,raw,xvdd,devtype=cdrom", &v, why, sizeof(why));
    CHECK("a CD-ROM is read-only and has no discard", rc == 0 && !v.readwrite && !v.discard &&
          v.is_cdrom, "%s", why);
    vbd_free(&v);
    rc = from("zvol/tank/web,raw,xvdc,rw,no-discard,untrusted", &v, why, sizeof(why));
    CHECK("a relative target gets /dev/ (xl-disk-configuration(5)); flags", rc == 0 &&
          !strcmp(v.target, "/dev/zvol/tank/web") && !v.discard && !v.trusted &&
          !v.direct_io_safe, "%s", v.target);
    vbd_free(&v);
    rc = from(",,hdc:cdrom,r", &v, why, sizeof(why));
    vbd_params(&v, params, sizeof(params));
    CHECK("an empty CD-ROM: params aio:, removable", rc == 0 && !v.target && v.is_cdrom &&
          v.removable && !strcmp(params, "aio:") && v.devid == (22 << 8), "%s", params);
    vbd_free(&v);
    rc = from("/dev/x,,xvda,backendtype=qdisk,backend=0", &v, why, sizeof(why));
    CHECK("backendtype=qdisk and backend=0 accepted", rc == 0, "%s", why);
    vbd_free(&v);

    refused("/dev/x,,xvda,backendtype=phy", "backendtype=phy");
    refused("/dev/x,,xvda,backendtype=phy", "IOMMU");
    refused("/dev/x,,xvda,backendtype=tap", "backendtype=tap");
    refused("/dev/x,,xvda,backendtype=standalone", "backendtype=standalone");
    refused("/dev/x,,xvda,specification=virtio", "specification=virtio");
    refused("/dev/x,,xvda,backend=stor", "backend=stor");
    refused("/dev/x,,xvda,script=block-drbd", "script=block-drbd");
    refused("drbd:res0,xvda,w", "script=block-drbd");
    refused("/dev/x,,xvda,colo", "colo");
    refused("/dev/x,,51712", "vdev=51712");
    refused("/dev/x,,hde", "vdev=hde");
    refused("/dev/x,,xvda,r", "access=ro");
    refused("/dev/x,,xvda,w,direct-io-safe", "aio=native");
    refused("format=qcow2,vdev=xvdb,access=ro,target=/srv/b.qcow2", "Block node is read-only");

    /* The longest target is taken and written whole; one more character is
     * refused (params once cut such a path short: another file). */
    static char text[VBD_TARGET_MAX + 64], big[VBD_PARAMS_MAX];
    int at = snprintf(text, sizeof(text), "format=qcow2,vdev=xvdb,target=/");
    memset(text + at, 'a', VBD_TARGET_MAX - 1);
    text[at + VBD_TARGET_MAX - 1] = '\0';
    rc = from(text, &v, why, sizeof(why));
    vbd_params(&v, big, sizeof(big));
    CHECK("a target of VBD_TARGET_MAX characters: params holds all of it",
          rc == 0 && strlen(big) == strlen("qcow2:") + VBD_TARGET_MAX, "rc %d, %zu", rc, strlen(big));
    if (!rc)
        vbd_free(&v);
    strcat(text, "a");
    refused(text, "at most 1024");
}

static struct xs_entry_list list;

static const struct xs_entry *entry(const char *path)
{
    for (size_t i = 0; i < list.count; i++)
        if (!strcmp(list.items[i].path, path))
            return &list.items[i];
    return NULL;
}

static const char *value(const char *path)
{
    const struct xs_entry *e = entry(path);
    return e && e->value ? e->value : NULL;
}

/* perms as "n5,r0" */
static const char *perms(const char *path)
{
    static char got[64];
    const struct xs_entry *e = entry(path);
    got[0] = '\0';
    for (unsigned i = 0; e && i < e->nperms; i++) {
        char one[16];
        snprintf(one, sizeof(one), "%s%c%u", i ? "," : "", e->perms[i].access, e->perms[i].domid);
        strcat(got, one);
    }
    return got;
}

struct keyval {
    const char *key, *value;
};

static void keys_are(const char *name, const char *dir, const struct keyval *kv, size_t n,
                     const char *want_perms)
{
    char path[256];
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, kv[i].key);
        const char *got = value(path);
        if (!got || strcmp(got, kv[i].value) || strcmp(perms(path), want_perms)) {
            printf("# %s = %s (%s), want %s (%s)\n", path, got ? got : "(none)", perms(path),
                   kv[i].value, want_perms);
            bad++;
        }
    }
    CHECK(name, bad == 0 && entry(dir) && !entry(dir)->value && !strcmp(perms(dir), want_perms),
          "%d wrong", bad);
}

static const char *record_get(void *ctx, const char *key)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", (const char *)ctx, key);
    return value(path);
}

static void test_entries(void)
{
    char why[512];
    struct vbd v, back;
    from("/dev/zvol/tank/web,raw,xvda,w", &v, why, sizeof(why));
    int rc = vbd_entries(7, &v, &list);
    CHECK("entries built", rc == 0 && list.count > 0, "rc %d", rc);

    const struct keyval front[] = {
        { "backend", "/local/domain/0/backend/qdisk/7/51712" },
        { "backend-id", "0" },
        { "state", "1" },
        { "virtual-device", "51712" },
        { "device-type", "disk" },
        { "trusted", "1" },
    };
    keys_are("frontend: libxl's keys; the guest's, the backend may read",
             "/local/domain/7/device/vbd/51712", front, sizeof(front) / sizeof(front[0]), "n7,r0");
    const struct keyval backend[] = {
        { "frontend", "/local/domain/7/device/vbd/51712" },
        { "params", "aio:/dev/zvol/tank/web" },
        { "frontend-id", "7" },
        { "online", "1" },
        { "removable", "0" },
        { "bootable", "1" },
        { "state", "1" },
        { "dev", "xvda" },
        { "type", "qdisk" },
        { "mode", "w" },
        { "device-type", "disk" },
        { "discard-enable", "1" },
        { "specification", "xen" },
    };
    keys_are("backend: libxl's qdisk keys; Dom0's, the guest may read",
             "/local/domain/0/backend/qdisk/7/51712", backend,
             sizeof(backend) / sizeof(backend[0]), "n0,r7");
    keys_are("toolstack record: a copy of the backend's keys, Dom0's alone",
             "/libxl/7/device/vbd/51712", backend + 1, sizeof(backend) / sizeof(backend[0]) - 1,
             "n0");
    CHECK("record: frontend and backend paths, trusted",
          value("/libxl/7/device/vbd/51712/frontend") &&
          !strcmp(value("/libxl/7/device/vbd/51712/backend"),
                  "/local/domain/0/backend/qdisk/7/51712") &&
          !strcmp(value("/libxl/7/device/vbd/51712/trusted"), "1"), "missing");
    CHECK("no direct-io-safe unless asked (QEMU then keeps the page cache)",
          !entry("/local/domain/0/backend/qdisk/7/51712/direct-io-safe"), "present");
    size_t parents_first = 1;
    for (size_t i = 0; i < list.count; i++)
        for (size_t j = i + 1; j < list.count; j++)
            if (!strncmp(list.items[i].path, list.items[j].path, strlen(list.items[j].path)) &&
                list.items[i].path[strlen(list.items[j].path)] == '/')
                parents_first = 0;
    CHECK("directories come before their keys", parents_first, "child first");

    rc = vbd_from_record(51712, record_get, "/libxl/7/device/vbd/51712", &back, why, sizeof(why));
    CHECK("the record reads back as the same vbd", rc == 0 && back.devid == v.devid &&
          !strcmp(back.vdev, v.vdev) && !strcmp(back.target, v.target) &&
          back.format == v.format && back.readwrite == v.readwrite && back.discard == v.discard &&
          back.trusted == v.trusted && back.is_cdrom == v.is_cdrom, "%s", why);
    vbd_free(&back);
    rc = vbd_from_record(51728, record_get, "/libxl/7/device/vbd/51712", &back, why, sizeof(why));
    CHECK("a record whose dev is another device is refused", rc == -1 && strstr(why, "xvda"),
          "%s", why);
    xs_entries_free(&list);
    vbd_free(&v);

    from("format=qcow2,vdev=xvdb,untrusted,no-discard,target=/i/b.qcow2", &v, why, sizeof(why));
    v.direct_io_safe = true; /* refused by vbd_from_spec today; the entry is libxl's */
    vbd_entries(3, &v, &list);
    CHECK("qcow2: params, direct-io-safe, no discard, trusted 0",
          !strcmp(value("/local/domain/0/backend/qdisk/3/51728/params"), "qcow2:/i/b.qcow2") &&
          !strcmp(value("/local/domain/0/backend/qdisk/3/51728/mode"), "w") &&
          !strcmp(value("/local/domain/0/backend/qdisk/3/51728/direct-io-safe"), "1") &&
          !strcmp(value("/local/domain/0/backend/qdisk/3/51728/discard-enable"), "0") &&
          !strcmp(value("/local/domain/3/device/vbd/51728/trusted"), "0"), "wrong");
    rc = vbd_from_record(51728, record_get, "/libxl/3/device/vbd/51728", &back, why, sizeof(why));
    CHECK("qcow2 record reads back (untrusted kept)", rc == 0 &&
          back.format == DISK_FORMAT_QCOW2 && back.readwrite && !back.trusted &&
          back.direct_io_safe && !back.discard, "%s", why);
    vbd_free(&back);
    xs_entries_free(&list);
    vbd_free(&v);

    from("/srv/x.iso,raw,hdc,devtype=cdrom", &v, why, sizeof(why));
    vbd_entries(3, &v, &list);
    CHECK("a CD-ROM: mode r, device-type cdrom on both sides, removable",
          !strcmp(value("/local/domain/0/backend/qdisk/3/5632/mode"), "r") &&
          !strcmp(value("/local/domain/0/backend/qdisk/3/5632/device-type"), "cdrom") &&
          !strcmp(value("/local/domain/3/device/vbd/5632/device-type"), "cdrom") &&
          !strcmp(value("/local/domain/0/backend/qdisk/3/5632/removable"), "1"), "wrong");
    rc = vbd_from_record(5632, record_get, "/libxl/3/device/vbd/5632", &back, why, sizeof(why));
    CHECK("a CD-ROM record reads back", rc == 0 && back.is_cdrom && !back.readwrite &&
          back.removable, "%s", why);
    vbd_free(&back);
    xs_entries_free(&list);
    vbd_free(&v);

    enum disk_format f;
    const char *path;
    CHECK("params: vhd:/x", !vbd_parse_params("vhd:/x", &f, &path) && f == DISK_FORMAT_VHD &&
          !strcmp(path, "/x"), "bad");
    CHECK("params: a format xl never writes is refused",
          vbd_parse_params("raw:/x", &f, &path) == -1 && vbd_parse_params("/x", &f, &path) == -1 &&
          vbd_parse_params(NULL, &f, &path) == -1, "accepted");
}

static void test_qemu_args(void)
{
    struct qemu_dm_args a;
    int rc = qemu_dm_args_build(&a, 5, "web", 512);
    static const char *const want[] = {
        "/usr/libexec/xen-qemu-system-i386",
        "-xen-domid", "5",
        "-no-shutdown",
        "-chardev", "socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-5,server=on,wait=off",
        "-mon", "chardev=libxl-cmd,mode=control",
        "-chardev", "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-5,server=on,wait=off",
        "-mon", "chardev=libxenstat-cmd,mode=control",
        "-nodefaults", "-no-user-config", "-xen-attach",
        "-name", "web",
        "-vnc", "none", "-display", "none", "-nographic",
        "-machine", "xenpv",
        "-m", "512",
    };
    int same = rc == 0 && a.argc == sizeof(want) / sizeof(want[0]) && !a.argv[a.argc];
    for (unsigned i = 0; same && i < a.argc; i++)
        if (strcmp(a.argv[i], want[i])) {
            printf("# argv[%u] = %s, want %s\n", i, a.argv[i], want[i]);
            same = 0;
        }
    CHECK("QEMU's arguments are libxl's for a PVH guest's qdisk", same, "argc %u", a.argc);
    char path[128];
    qemu_dm_qmp_path(5, path, sizeof(path));
    CHECK("QMP socket path", !strcmp(path, "/var/run/xen/qmp-libxl-5"), "%s", path);
    qemu_dm_log_path("web", path, sizeof(path));
    CHECK("log path", !strcmp(path, "/var/log/xen/qemu-dm-web.log"), "%s", path);
    static char huge[QEMU_DM_ARG_BUF + 1];
    memset(huge, 'x', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    CHECK("a command line that does not fit is refused",
          qemu_dm_args_build(&a, 5, huge, 512) == -1, "accepted");
}

int main(void)
{
    TAP_PLAN(60);
    test_devids();
    test_from_spec();
    test_entries();
    test_qemu_args();
    TAP_EXIT();
}
