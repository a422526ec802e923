/*
 * type = "hvm": the settings Basalt's HVM builder honours, with libxl
 * 4.17's defaults (vnc on at 127.0.0.1:0 with vncunused, boot "cda",
 * acpi on), and everything else refused at its FILE:LINE: a setting xl
 * would act on but Basalt does not (direct kernel boot, NICs, a VNC
 * password Debian's QEMU cannot check, SDL, USB, populate-on-demand), and
 * any setting nothing reads, so an HVM guest never runs on a machine other
 * than the one its file describes. Values that end up on QEMU's command
 * line are checked character by character: QEMU's option syntax gives ','
 * a meaning, so none may contain one.
 */
#include "build_request.h"

#include <stdio.h>
#include <string.h>

#include "cfg_error.h"

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define fail_at build_request_fail_at

/* Keys xl reads for every type that make no sense for an HVM guest here. */
static int refuse_pvh_keys(const struct xl_config *c, char *err, size_t errlen)
{
    const struct domain_config *dc = &c->dc;
    if (dc->kernel)
        return fail_at(c, KEYS("kernel"), err, errlen,
                       "kernel= (direct kernel boot) is not supported for HVM guests: they boot "
                       "from their disks through hvmloader and SeaBIOS");
    if (dc->ramdisk)
        return fail_at(c, KEYS("ramdisk"), err, errlen,
                       "ramdisk= is not supported for HVM guests (no direct kernel boot)");
    if (dc->cmdline)
        return fail_at(c, KEYS("cmdline", "root", "extra"), err, errlen,
                       "a kernel command line is not supported for HVM guests (no direct kernel "
                       "boot)");
    if (dc->n_vifs)
        return fail_at(c, KEYS("vif"), err, errlen,
                       "vif= is not supported for HVM guests yet: Basalt's xl gives them no "
                       "emulated or PV NIC");
    if (dc->maxmem_mib != dc->memory_mib)
        return fail_at(c, KEYS("maxmem", "memory"), err, errlen,
                       "maxmem (%llu MiB) differs from memory (%llu MiB): an HVM guest would "
                       "need populate-on-demand, which Basalt does not have",
                       (unsigned long long)dc->maxmem_mib, (unsigned long long)dc->memory_mib);
    if (dc->memory_mib < BUILD_HVM_MIN_MEMORY_MIB || dc->memory_mib > BUILD_HVM_MAX_MEMORY_MIB)
        return fail_at(c, KEYS("memory", "maxmem"), err, errlen,
                       "memory (%llu MiB) must be between %d and %d MiB for an HVM guest",
                       (unsigned long long)dc->memory_mib, BUILD_HVM_MIN_MEMORY_MIB,
                       BUILD_HVM_MAX_MEMORY_MIB);
    for (size_t i = 0; i < dc->n_ignored; i++) {
        const struct domain_config_ignored_key *k = &dc->ignored[i];
        cfg_error_at(err, errlen, k->source, k->line,
                     "'%s' is not supported for HVM guests by Basalt's xl", k->key);
        return -1;
    }
    return 0;
}

/* An address QEMU's -vnc takes: a host name or IPv4/IPv6 literal,
 * optionally with ":DISPLAY". */
static bool vnc_address_ok(const char *s)
{
    return *s && strlen(s) < 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
               strlen(s);
}

static int read_vnc(const struct xl_config *c, struct build_hvm *h, char *err, size_t errlen)
{
    const struct domain_hvm_options *o = &c->dc.hvm;
    char q[CFG_QUOTE_BUF];

    if (o->vncpasswd && *o->vncpasswd)
        return fail_at(c, KEYS("vncpasswd"), err, errlen,
                       "vncpasswd is not supported: Debian's QEMU has no DES for VNC passwords "
                       "(and would not start); keep vnclisten on 127.0.0.1");
    if (o->sdl == TRISTATE_TRUE)
        return fail_at(c, KEYS("sdl"), err, errlen, "sdl=1 is not supported: Dom0 has no display");
    if (o->vnc == TRISTATE_FALSE) {
        h->vnc[0] = '\0';
        return 0;
    }
    const char *listen = o->vnclisten ? o->vnclisten : "127.0.0.1";
    if (!vnc_address_ok(listen))
        return fail_at(c, KEYS("vnclisten"), err, errlen,
                       "vnclisten '%s' is not an address (letters, digits, '.', '-', ':', '[', "
                       "']')",
                       cfg_quote(listen, q, sizeof(q)));
    bool to = o->vncunused != TRISTATE_FALSE;
    if (strchr(listen, ':')) {
        /* libxl: an address with a display is used as written. */
        if (o->vncdisplay > 0)
            return fail_at(c, KEYS("vncdisplay"), err, errlen,
                           "vncdisplay is set and vnclisten '%s' names a display too",
                           cfg_quote(listen, q, sizeof(q)));
        snprintf(h->vnc, sizeof(h->vnc), "%s%s", listen, to ? ",to=99" : "");
    } else {
        snprintf(h->vnc, sizeof(h->vnc), "%s:%d%s", listen,
                 o->vncdisplay > 0 ? o->vncdisplay : 0, to ? ",to=99" : "");
    }
    return 0;
}

/* serial=: one port, "pty", "null"/"none" or "file:/PATH". */
static int read_serial(const struct xl_config *c, struct build_hvm *h, char *err, size_t errlen)
{
    const struct strlist *s = &c->dc.hvm.serial;
    char q[CFG_QUOTE_BUF];

    h->serial = NULL;
    if (!s->count)
        return 0;
    if (s->count > 1)
        return fail_at(c, KEYS("serial"), err, errlen,
                       "%zu serial ports: Basalt's xl gives an HVM guest one", s->count);
    const char *v = s->items[0];
    if (!strcmp(v, "none") || !strcmp(v, "null"))
        return 0;
    if (!strcmp(v, "pty") ||
        (!strncmp(v, "file:/", 6) && strlen(v) < 256 && !strchr(v, ',') && !strstr(v, "/../"))) {
        h->serial = v;
        return 0;
    }
    return fail_at(c, KEYS("serial"), err, errlen,
                   "serial '%s' is not supported: use \"pty\", \"none\" or \"file:/PATH\" "
                   "(without ',')",
                   cfg_quote(v, q, sizeof(q)));
}

/* A disk's IDE index as libxl computes it (the disk number of hdX, sdX
 * and xvdX, whole disks only), 0-3, or -1. */
static int ide_index(const char *vdev)
{
    size_t p = !strncmp(vdev, "xvd", 3) ? 3 : (!strncmp(vdev, "hd", 2) || !strncmp(vdev, "sd", 2)) ? 2 : 0;
    if (!p || vdev[p] < 'a' || vdev[p] >= 'a' + BUILD_HVM_MAX_IDE || vdev[p + 1])
        return -1;
    return vdev[p] - 'a';
}

static int read_ide_disks(struct build_request *r, char *err, size_t errlen)
{
    for (unsigned i = 0; i < r->n_disks; i++) {
        const struct vbd *v = &r->disks[i];
        int idx = ide_index(v->vdev);
        if (idx < 0) {
            cfg_error_at(err, errlen, v->source, v->line,
                         "disk %u (%s): an HVM guest's disks are QEMU's IDE devices hda-hdd "
                         "(also written sda-sdd or xvda-xvdd)",
                         i + 1, v->vdev);
            return -1;
        }
        if (v->target && strchr(v->target, ',')) {
            cfg_error_at(err, errlen, v->source, v->line,
                         "disk %u (%s): a target with ',' cannot be passed to QEMU", i + 1,
                         v->vdev);
            return -1;
        }
        for (unsigned j = 0; j < i; j++)
            if (r->hvm_opts.ide_index[j] == idx) {
                cfg_error_at(err, errlen, v->source, v->line,
                             "disk %u (%s) is the same IDE device as disk %u (%s)", i + 1,
                             v->vdev, j + 1, r->disks[j].vdev);
                return -1;
            }
        r->hvm_opts.ide_index[i] = idx;
    }
    return 0;
}

int build_request_hvm(const struct xl_config *c, struct build_request *r, struct strlist *notes,
                      char *err, size_t errlen)
{
    const struct domain_hvm_options *o = &c->dc.hvm;
    struct build_hvm *h = &r->hvm_opts;

    (void)notes;
    if (refuse_pvh_keys(c, err, errlen) || read_vnc(c, h, err, errlen) ||
        read_serial(c, h, err, errlen) || read_ide_disks(r, err, errlen))
        return -1;
    if (o->usb == TRISTATE_TRUE || o->usbdevice.count)
        return fail_at(c, KEYS("usb", "usbdevice"), err, errlen,
                       "USB is not supported for HVM guests by Basalt's xl");
    const char *boot = o->boot ? o->boot : "cda";
    if (strlen(boot) >= sizeof(h->boot))
        return fail_at(c, KEYS("boot"), err, errlen, "boot order '%s' is too long (at most %zu)",
                       boot, sizeof(h->boot) - 1);
    snprintf(h->boot, sizeof(h->boot), "%s", boot);
    h->acpi = c->dc.acpi != TRISTATE_FALSE;
    h->platform_pci = c->dc.hvm.xen_platform_pci != TRISTATE_FALSE;
    return 0;
}
