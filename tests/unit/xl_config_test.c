/*
 * What `xl create` checks before it creates anything
 * (dom0/xl/xl_config.c, build_request.c, prepare.c): Basalt's limits on a
 * parsed configuration, the notes it prints, and "FILE:LINE: reason" for
 * problems found after parsing (type, vCPUs, CPUs, a missing kernel file,
 * a domain too small for its kernel).
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
#include "lib/pvh_acpi.c"
#include "lib/pvh_elf.c"
#include "lib/pvh_start_info.c"
#include "dom0/xl/read_file.c"
#include "dom0/xl/bzimage.c"
#include "dom0/xl/xz_unpack.c"
#include "dom0/xl/kernel_image.c"
#include "dom0/xl/layout.c"
#include "dom0/xl/uuid.c"
#include "dom0/xl/xl_config.c"
#include "dom0/xl/xs_entries.c"
#include "dom0/xl/disk_vbd.c"
#include "dom0/xl/vif_entries.c"
#include "dom0/xl/vif_config.c"
#include "dom0/xl/build_request.c"
#include "dom0/xl/build_request_hvm.c"
#include "dom0/xl/qemu_dm_args.c"
#include "dom0/xl/kernel_cache.c"
#include "dom0/xl/prepare.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[1024];
static struct xl_config c;
static struct build_request r;
static struct strlist notes;

/* Parses text as "t.cfg" with overrides and builds the request. 0, -1
 * (parse error) or -2 (request error); err holds the message. */
static int req(const char *text, const char *const *ov, size_t n)
{
    xl_config_free(&c);
    build_request_free(&r);
    strlist_free(&notes);
    memset(&notes, 0, sizeof(notes));
    err[0] = 0;
    if (xl_config_parse_buffer("t.cfg", text, strlen(text), ov, n, &c, err, sizeof(err)))
        return -1;
    return build_request_from_config(&c, &r, &notes, err, sizeof(err)) ? -2 : 0;
}

static int has_note(const char *want)
{
    for (size_t i = 0; i < notes.count; i++)
        if (strstr(notes.items[i], want))
            return 1;
    return 0;
}

#define BASE "name=\"demo\"\ntype=\"pvh\"\nkernel=\"/k\"\n"

static void test_request(void)
{
    int rc = req(BASE "memory=256\nvcpus=2\nextra=\"console=hvc0\"\n", NULL, 0);
    CHECK("a PVH config gives a request", rc == 0 && !strcmp(r.name, "demo") &&
          !strcmp(r.kernel, "/k") && !r.ramdisk && r.memory_mib == 256 && r.maxmem_mib == 256 &&
          r.vcpus == 2 && r.max_vcpus == 2 && r.weight == 256 && r.cap == 0 && r.affinity == 0 &&
          !strcmp(r.cmdline, "console=hvc0"), "%d: %s", rc, err);
    CHECK("defaults: destroy, restart, destroy", r.on_poweroff == SHUTDOWN_ACTION_DESTROY &&
          r.on_reboot == SHUTDOWN_ACTION_RESTART && r.on_crash == SHUTDOWN_ACTION_DESTROY, "wrong");
    uint8_t zero[16] = { 0 };
    CHECK("a UUID is generated", memcmp(r.uuid, zero, 16) && (r.uuid[6] >> 4) == 4, "zero");
    CHECK("no notes for a plain config", notes.count == 0, "%zu notes", notes.count);

    rc = req(BASE "uuid=\"12345678-9abc-4def-8011-223344556677\"\n", NULL, 0);
    CHECK("a given UUID is kept", rc == 0 && r.uuid[0] == 0x12 && r.uuid[15] == 0x77, "%s", err);

    rc = req("name=\"demo\"\nkernel=\"/k\"\n", NULL, 0);
    CHECK("no type: PVH, with a note", rc == 0 && has_note("t.cfg:1: no type= given") &&
          has_note("building a PVH domain"), "%d: %s", rc, err);

    rc = req("name=\"demo\"\n\ntype=\"hvm\"\nkernel=\"/k\"\n", NULL, 0);
    CHECK("type hvm with a kernel: refused at kernel=", rc == -2 &&
          !strncmp(err, "t.cfg:4: kernel= (direct kernel boot) is not supported for HVM", 62),
          "%s", err);
    rc = req("name=\"demo\"\ntype=\"pv\"\nkernel=\"/k\"\n", NULL, 0);
    CHECK("type pv: refused", rc == -2 && !strncmp(err, "t.cfg:2: type \"pv\"", 18), "%s", err);
    rc = req("name=\"demo\"\nbuilder=\"hvm\"\nkernel=\"/k\"\n", NULL, 0);
    CHECK("builder=hvm is HVM: its kernel= refused", rc == -2 && !strncmp(err, "t.cfg:3: kernel=", 16),
          "%s", err);

    rc = req("name=\"demo\"\ntype=\"pvh\"\n", NULL, 0);
    CHECK("no kernel: line 0", rc == -2 &&
          !strcmp(err, "t.cfg:0: missing required setting 'kernel'"), "%s", err);
    rc = req(BASE "kernel=\"\"\n", NULL, 0);
    CHECK("empty kernel: at its line", rc == -2 && !strcmp(err, "t.cfg:4: kernel is empty"),
          "%s", err);

    char text[256], name[65];
    memset(name, 'a', 64);
    name[64] = 0;
    snprintf(text, sizeof(text), "name=\"%s\"\ntype=\"pvh\"\nkernel=\"/k\"\n", name);
    rc = req(text, NULL, 0);
    CHECK("64-character name: refused (the hypervisor takes 63)", rc == -2 &&
          !strncmp(err, "t.cfg:1: name '", 15) && strstr(err, "at most 63"), "%s", err);

    rc = req(BASE "vcpus=2\n\nmaxvcpus=65\n", NULL, 0);
    CHECK("maxvcpus 65: refused at its line", rc == -2 && !strncmp(err, "t.cfg:6: 65 vCPUs", 17),
          "%s", err);
    rc = req(BASE "vcpus=65\n", NULL, 0);
    CHECK("vcpus 65 without maxvcpus: refused at vcpus", rc == -2 &&
          !strncmp(err, "t.cfg:4: 65 vCPUs", 17), "%s", err);
    rc = req(BASE "vcpus=64\n", NULL, 0);
    CHECK("vcpus 64 accepted", rc == 0, "%s", err);

    rc = req(BASE "vcpus=2\ncap=201\n", NULL, 0);
    CHECK("cap above 100 per vCPU refused", rc < 0 && !strncmp(err, "t.cfg:5: cap (201)", 18),
          "%s", err);
    rc = req(BASE "vcpus=2\ncap=200\ncpu_weight=512\n", NULL, 0);
    CHECK("cap and weight passed on", rc == 0 && r.cap == 200 && r.weight == 512, "%s", err);

    rc = req(BASE "cpus=\"1-3\"\n", NULL, 0);
    CHECK("cpus for all vCPUs: a mask", rc == 0 && r.affinity == 0xe && !r.n_vcpu_affinity,
          "%s", err);
    rc = req(BASE "cpus=\"all,^0\"\n", NULL, 0);
    CHECK("cpus=all,^0: every CPU the masks hold but 0 (all is the host's CPUs)",
          rc == 0 && r.affinity == ~1ull, "%d %s", rc, err);
    rc = req(BASE "cpus=\"70\"\n", NULL, 0);
    CHECK("a CPU beyond 63 refused at its line", rc == -2 && !strncmp(err, "t.cfg:4: CPU 70", 15),
          "%s", err);
    rc = req(BASE "vcpus=3\ncpus=[\"0\", \"1-2\"]\n", NULL, 0);
    CHECK("cpus per vCPU: one mask each, the rest unpinned", rc == 0 && r.affinity == 0 &&
          r.n_vcpu_affinity == 2 && r.vcpu_affinity[0] == 1 && r.vcpu_affinity[1] == 6,
          "%s", err);

    rc = req(BASE "maxmem=1048577\n", NULL, 0);
    CHECK("maxmem above 1 TiB refused", rc == -2 && strstr(err, "t.cfg:4:"), "%s", err);
    rc = req(BASE "memory=256\nmaxmem=512\n", NULL, 0);
    CHECK("maxmem above memory: a note", rc == 0 && r.maxmem_mib == 512 &&
          has_note("t.cfg:5: maxmem above memory"), "%s", err);

    rc = req(BASE "disk=[\"/dev/vg/x,raw,xvda,rw\"]\nvif=[\"bridge=br0\"]\n", NULL, 0);
    CHECK("disk= becomes a qdisk vbd; vif= taken into the request",
          rc == 0 && r.n_disks == 1 && r.disks[0].devid == 51712 &&
          !strcmp(r.disks[0].target, "/dev/vg/x") && r.disks[0].line == 4 &&
          !strcmp(r.disks[0].source, "t.cfg") && !has_note("vif=") && r.n_vifs == 1 &&
          !strcmp(r.vifs[0].bridge, "br0"),
          "%s", err);

    /* Wrong disk= entries: refused at the entry's own line, naming the key. */
    rc = req(BASE "disk=[\n  \"/dev/a,,xvda\",\n  \"/dev/b,,xvdb,backendtype=phy\"]\n", NULL, 0);
    CHECK("disk backendtype=phy refused at its line: no IOMMU",
          rc == -2 && !strncmp(err, "t.cfg:6: disk 2 (xvdb): backendtype=phy", 39) &&
          strstr(err, "IOMMU") && r.n_disks == 0, "%s", err);
    rc = req(BASE "disk=[\"tap:aio:/dev/a,xvda,w,backendtype=tap\"]\n", NULL, 0);
    CHECK("disk backendtype=tap refused", rc == -2 && strstr(err, "t.cfg:4:") &&
          strstr(err, "backendtype=tap"), "%s", err);
    rc = req(BASE "disk=[\"/dev/a,,xvda,specification=virtio\"]\n", NULL, 0);
    CHECK("disk specification=virtio refused", rc == -2 && strstr(err, "specification=virtio"),
          "%s", err);
    rc = req(BASE "disk=[\"/dev/a,,xvda,script=block-iscsi\"]\n", NULL, 0);
    CHECK("disk script= refused", rc == -2 && strstr(err, "script=block-iscsi"), "%s", err);
    rc = req(BASE "disk=[\"/dev/a,,xvda,backend=driverdom\"]\n", NULL, 0);
    CHECK("disk backend= (driver domain) refused", rc == -2 && strstr(err, "backend=driverdom"),
          "%s", err);
    rc = req(BASE "disk=[\"/dev/a,,51712\"]\n", NULL, 0);
    CHECK("disk with a numeric vdev refused", rc == -2 && strstr(err, "vdev=51712"), "%s", err);
    rc = req(BASE "disk=[\"/dev/a,,xvda\", \"/dev/b,,d0p0\"]\n", NULL, 0);
    CHECK("two disks with one device number refused", rc == -2 &&
          strstr(err, "disk 2 (d0p0) is the same device as disk 1 (xvda)"), "%s", err);
    rc = req(BASE "disk=[\"/dev/a,,xvdb,backendtype=qdisk\", \",,hdc:cdrom,r\"]\n", NULL, 0);
    CHECK("backendtype=qdisk and an empty CD-ROM accepted, the CD-ROM with a note",
          rc == 0 && r.n_disks == 2 && r.disks[1].is_cdrom && !r.disks[1].target &&
          has_note("t.cfg:4: disk hdc is a CD-ROM"), "%s", err);

    rc = req(BASE "on_crash=\"coredump-restart\"\non_poweroff=\"coredump-destroy\"\n", NULL, 0);
    CHECK("coredump-* become restart/destroy with notes", rc == 0 &&
          r.on_crash == SHUTDOWN_ACTION_RESTART && r.on_poweroff == SHUTDOWN_ACTION_DESTROY &&
          has_note("t.cfg:4: on_crash=\"coredump-restart\"") &&
          has_note("t.cfg:5: on_poweroff=\"coredump-destroy\""), "%s", err);
    rc = req(BASE "on_reboot=\"preserve\"\n", NULL, 0);
    CHECK("preserve kept", rc == 0 && r.on_reboot == SHUTDOWN_ACTION_PRESERVE, "%s", err);

    const char *ov[] = { "memory=512", "vcpus=99" };
    rc = req(BASE, ov, 2);
    CHECK("override errors name the command line", rc == -2 &&
          !strncmp(err, "command line:2: 99 vCPUs", 24), "%s", err);
    rc = req(BASE, ov, 1);
    CHECK("overrides apply", rc == 0 && r.memory_mib == 512, "%s", err);

    rc = req("name=\"demo\"\nmemory=\"lots\"\n", NULL, 0);
    CHECK("parse errors come through unchanged", rc == -1 &&
          strstr(err, "t.cfg:2:"), "%s", err);

    const char *src;
    unsigned line;
    req(BASE "memory=256\n", NULL, 0);
    xl_config_where(&c, (const char *const[]){ "nosuch", "memory", NULL }, &src, &line);
    CHECK("where: the first key that is set", !strcmp(src, "t.cfg") && line == 4, "%s:%u", src,
          line);
    xl_config_where(&c, (const char *const[]){ "nosuch", NULL }, &src, &line);
    CHECK("where: line 0 when none is", !strcmp(src, "t.cfg") && line == 0, "%s:%u", src, line);
}

static void test_prepare(void)
{
    struct build_images *im = malloc(sizeof(*im));
    enum build_blame blame;

    req(BASE "ramdisk=\"/nonexistent/initrd\"\n", NULL, 0);
    CHECK("missing kernel file: blamed on kernel=",
          build_prepare(&r, im, &blame, err, sizeof(err)) && blame == BLAME_KERNEL &&
          strstr(err, "/k: No such file"), "%d %s", blame, err);
    CHECK("blame keys", !strcmp(build_blame_keys(BLAME_KERNEL)[0], "kernel") &&
          !strcmp(build_blame_keys(BLAME_MEMORY)[0], "memory") &&
          !strcmp(build_blame_keys(BLAME_CMDLINE)[1], "extra") &&
          build_blame_keys(BLAME_NONE)[0] == NULL, "wrong");

    /* A real (tiny) kernel: an ELF with the PVH note, in a file. */
    static uint8_t elf[0x400];
    memcpy(elf, "\177ELF\2\1\1", 7);
    elf[16] = 2;
    elf[18] = 62;
    elf[32] = 64;                  /* phoff */
    elf[54] = 56;                  /* phentsize */
    elf[56] = 2;                   /* phnum */
    uint8_t *ph = elf + 64;
    ph[0] = 1;                     /* PT_LOAD at 16 MiB, 256 bytes from 0x200 */
    ph[9] = 2;
    ph[27] = 1;
    ph[33] = 1;
    ph[41] = 1;
    ph += 56;
    ph[0] = 4;                     /* PT_NOTE at 0x180 */
    ph[8] = 0x80;
    ph[9] = 1;
    ph[32] = 20;
    ph[40] = 20;
    uint8_t *n = elf + 0x180;
    n[0] = 4;
    n[4] = 4;
    n[8] = 18;
    memcpy(n + 12, "Xen", 4);
    n[16] = 0x10;
    n[19] = 1;                     /* entry 0x01000010 */
    char kpath[] = "/tmp/xl_config_test.XXXXXX";
    int fd = mkstemp(kpath);
    CHECK("kernel file written", fd >= 0 && write(fd, elf, sizeof(elf)) == sizeof(elf), "io");
    close(fd);

    char text[512];
    snprintf(text, sizeof(text), "name=\"d\"\ntype=\"pvh\"\nkernel=\"%s\"\nmemory=8\n", kpath);
    req(text, NULL, 0);
    int rc = build_prepare(&r, im, &blame, err, sizeof(err));
    CHECK("kernel above the domain's memory: blamed on memory=", rc && blame == BLAME_MEMORY &&
          strstr(err, "does not fit in the domain's 8 MiB"), "%d %s", blame, err);
    if (!rc)
        build_images_free(im);
    snprintf(text, sizeof(text), "name=\"d\"\ntype=\"pvh\"\nkernel=\"%s\"\nmemory=32\n", kpath);
    req(text, NULL, 0);
    rc = build_prepare(&r, im, &blame, err, sizeof(err));
    CHECK("a small ELF kernel prepares", !rc && im->layout.entry == 0x1000010 &&
          im->layout.start_info_gpa == 0x1001000, "%s %#llx", err,
          (unsigned long long)im->layout.start_info_gpa);
    if (!rc)
        build_images_free(im);
    snprintf(text, sizeof(text),
             "name=\"d\"\ntype=\"pvh\"\nkernel=\"%s\"\nramdisk=\"%s\"\nmemory=32\n", kpath, kpath);
    req(text, NULL, 0);
    rc = build_prepare(&r, im, &blame, err, sizeof(err));
    CHECK("ramdisk placed after the kernel", !rc && im->layout.initrd_gpa == 0x1001000 &&
          im->ramdisk_len == sizeof(elf), "%s", err);
    if (!rc)
        build_images_free(im);
    snprintf(text, sizeof(text),
             "name=\"d\"\ntype=\"pvh\"\nkernel=\"%s\"\nramdisk=\"/nonexistent\"\n", kpath);
    req(text, NULL, 0);
    CHECK("missing ramdisk: blamed on ramdisk=",
          build_prepare(&r, im, &blame, err, sizeof(err)) && blame == BLAME_RAMDISK, "%s", err);
    unlink(kpath);
    free(im);
}

#define HVM "name=\"win\"\ntype=\"hvm\"\nmemory=128\n"

/* type = "hvm": libxl's defaults, what is refused (at its line), QEMU's
 * command line. */
static void test_hvm(void)
{
    int rc = req(HVM, NULL, 0);
    CHECK("an HVM config gives a request with libxl's defaults",
          rc == 0 && r.hvm && !strcmp(r.hvm_opts.vnc, "127.0.0.1:0,to=99") &&
          !strcmp(r.hvm_opts.boot, "cda") && r.hvm_opts.acpi && !r.hvm_opts.serial &&
          r.memory_mib == 128, "%d: %s", rc, err);
    rc = req(HVM "vnclisten=\"0.0.0.0\"\nvncdisplay=3\nvncunused=0\nacpi=0\nboot=\"dc\"\n", NULL, 0);
    CHECK("vnclisten, vncdisplay, vncunused, acpi, boot", rc == 0 &&
          !strcmp(r.hvm_opts.vnc, "0.0.0.0:3") && !r.hvm_opts.acpi && !strcmp(r.hvm_opts.boot, "dc"),
          "%d: %s %s", rc, err, r.hvm_opts.vnc);
    rc = req(HVM "vnc=0\n", NULL, 0);
    CHECK("vnc=0: no VNC server", rc == 0 && !r.hvm_opts.vnc[0], "%s", err);

    static const struct {
        const char *text, *want, *what;
    } refused[] = {
        { HVM "vnclisten=\"127.0.0.1,password=on\"\n", "t.cfg:4: vnclisten '127.0.0.1,password=on' is not an address", "a vnclisten with QEMU options" },
        { HVM "vncpasswd=\"x\"\n", "t.cfg:4: vncpasswd is not supported", "vncpasswd" },
        { HVM "\nstdvga=1\n", "t.cfg:5: 'stdvga' is not supported for HVM guests", "a key nothing reads" },
        { HVM "maxmem=256\n", "t.cfg:4: maxmem (256 MiB) differs from memory", "maxmem above memory" },
        { HVM "vif=[\"bridge=xenbr0\"]\n", "t.cfg:4: vif= is not supported for HVM guests yet", "vif=" },
        { HVM "serial=\"tcp:1.2.3.4:5\"\n", "t.cfg:4: serial 'tcp:1.2.3.4:5' is not supported", "a serial port other than pty, none, file:" },
        { HVM "serial=\"file:/x,y\"\n", "t.cfg:4: serial 'file:/x,y' is not supported", "a serial file with ','" },
        { HVM "disk=[\"/i,raw,xvde,rw\"]\n", "t.cfg:4: disk 1 (xvde): an HVM guest's disks are QEMU's IDE devices", "a fifth IDE disk" },
        { HVM "disk=[\"/i,raw,hda,rw\",\n \"/j,raw,xvda,rw\"]\n", "t.cfg:5: disk 2 (xvda) is the same IDE device as disk 1", "two disks on one IDE device" },
        { HVM "memory=8\n", "t.cfg:4: memory (8 MiB) must be between 16 and 3840", "too little memory" },
        { HVM "usb=1\n", "t.cfg:4: USB is not supported", "usb" },
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char name[128];
        rc = req(refused[i].text, NULL, 0);
        snprintf(name, sizeof(name), "HVM: %s refused at its line", refused[i].what);
        CHECK(name, rc == -2 && !strncmp(err, refused[i].want, strlen(refused[i].want)), "%d: %s", rc, err);
    }

    rc = req(HVM "vcpus=2\nserial=\"pty\"\nboot=\"c\"\n"
                 "disk=[\"/img/a.qcow2,qcow2,hda,rw\", \"/img/b.iso,raw,hdc,cdrom\"]\n", NULL, 0);
    static struct qemu_dm_args a;
    char line[2048] = "";
    if (rc == 0 && !qemu_dm_args_build_hvm(&a, 7, &r))
        for (unsigned i = 1; i < a.argc; i++)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i > 1 ? " " : "", a.argv[i]);
    CHECK("QEMU's HVM command line is libxl's",
          !strcmp(a.argv[0], QEMU_DM_BINARY) &&
          !strcmp(line, "-xen-domid 7 -no-shutdown "
                        "-chardev socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-7,server=on,wait=off "
                        "-mon chardev=libxl-cmd,mode=control "
                        "-chardev socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-7,server=on,wait=off "
                        "-mon chardev=libxenstat-cmd,mode=control -nodefaults -no-user-config -name win "
                        "-vnc 127.0.0.1:0,to=99 -display none -serial pty -device cirrus-vga,vgamem_mb=8 "
                        "-boot order=c -smp 2,maxcpus=2 -net none -machine xenfv,suppress-vmdesc=on -m 128 "
                        "-drive file=/img/a.qcow2,if=ide,index=0,media=disk,format=qcow2,cache=writeback "
                        "-drive file=/img/b.iso,if=ide,index=2,readonly=on,media=cdrom,format=raw,"
                        "cache=writeback,id=ide-2"),
          "%d %s: %s", rc, err, line);

    /* Without the platform device: libxl's plain PC machine under Xen. */
    rc = req(HVM "xen_platform_pci=0\n", NULL, 0);
    line[0] = '\0';
    if (rc == 0 && !qemu_dm_args_build_hvm(&a, 7, &r))
        for (unsigned i = 1; i < a.argc; i++)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i > 1 ? " " : "", a.argv[i]);
    CHECK("xen_platform_pci=0: QEMU's machine is pc,accel=xen (no platform device)",
          strstr(line, " -machine pc,accel=xen,suppress-vmdesc=on -m 128") && !strstr(line, "xenfv"),
          "%d %s: %s", rc, err, line);

    struct xs_domain_desc d = { .domid = 7, .name = "win", .uuid = r.uuid, .max_vcpus = 1, .vcpus = 1,
                                .type = "hvm", .hvm = true, .acpi = true, .on_poweroff = "destroy",
                                .on_reboot = "restart", .on_crash = "destroy" };
    struct xs_entry_list l;
    int found = 0;
    if (!xs_entries_build(&d, &l)) {
        for (size_t i = 0; i < l.count; i++)
            if (l.items[i].value &&
                ((!strcmp(l.items[i].path, "/local/domain/7/hvmloader/bios") && !strcmp(l.items[i].value, "seabios")) ||
                 (!strcmp(l.items[i].path, "/local/domain/7/hvmloader/allow-memory-relocate") && !strcmp(l.items[i].value, "0")) ||
                 (!strcmp(l.items[i].path, "/local/domain/7/platform/acpi") && !strcmp(l.items[i].value, "1")) ||
                 (!strcmp(l.items[i].path, "/local/domain/7/platform/device-model") && !strcmp(l.items[i].value, "qemu_xen"))))
                found++;
        xs_entries_free(&l);
    }
    CHECK("an HVM domain's xenstore entries hold what hvmloader reads", found == 4, "%d of 4", found);
}

int main(void)
{
    TAP_PLAN(46 + 17);
    setenv("XL_KERNEL_CACHE", "off", 1); /* nothing of this host's /var/cache */
    test_request();
    test_prepare();
    test_hvm();
    xl_config_free(&c);
    strlist_free(&notes);
    TAP_EXIT();
}
