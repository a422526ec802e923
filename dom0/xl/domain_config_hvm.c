/*
 * Firmware, display and emulated-device options: acpi=, vnc*, sdl=,
 * serial=, boot=, usb=, usbdevice=. xl reads most of these only for
 * HVM guests (tools/xl/xl_parse.c); we read them for every type so a
 * bad value is reported whatever the type, and only check their form:
 * their meaning belongs to the device model.
 */
#include "domain_config_build.h"
#include "cfg_error.h"
#include "cfg_get.h"

#include <string.h>

static int read_tristate(struct dc_build *b, const char *key, enum tristate *out)
{
    bool v;
    int rc = cfg_get_bool(b->set, key, &v, NULL, b->err, b->errlen);

    if (rc == 1)
        *out = v ? TRISTATE_TRUE : TRISTATE_FALSE;
    return rc < 0 ? -1 : 0;
}

/* serial= and usbdevice= take one string or a list of them. */
static int copy_strings(struct dc_build *b, const char *key, struct strlist *out)
{
    const struct cfg_setting *at = NULL;
    const struct cfg_value *v;
    int rc = cfg_get_string_or_list(b->set, key, &v, &at, b->err, b->errlen);

    if (rc <= 0)
        return rc;
    if (v->kind == CFG_VALUE_STRING)
        return strlist_add(out, v->text) ? dc_nomem(b, at) : 0;
    for (size_t i = 0; i < v->count; i++)
        if (strlist_add(out, v->items[i]->text))
            return dc_nomem(b, at);
    return 0;
}

static int read_vncdisplay(struct dc_build *b)
{
    const struct cfg_setting *at = NULL;
    long v;
    int rc = cfg_get_long(b->set, "vncdisplay", &v, &at, b->err, b->errlen);

    if (rc <= 0)
        return rc;
    /* The display is a TCP port offset from 5900. */
    if (v < 0 || v > 65535 - 5900) {
        cfg_error_at(b->err, b->errlen, at->source, at->line,
                     "vncdisplay (%ld) must be between 0 and %d", v, 65535 - 5900);
        return -1;
    }
    b->cfg->hvm.vncdisplay = (int)v;
    return 0;
}

/* Boot order letters as the device model takes them: a (floppy),
 * c (disk), d (CD-ROM), n (network). */
static int read_boot(struct dc_build *b)
{
    const struct cfg_setting *at = NULL;
    const char *text;
    char q[CFG_QUOTE_BUF];
    int rc = cfg_get_string(b->set, "boot", &text, &at, b->err, b->errlen);

    if (rc <= 0)
        return rc;
    if (!*text || strspn(text, "acdn") != strlen(text)) {
        cfg_error_at(b->err, b->errlen, at->source, at->line,
                     "boot order '%s' must be letters from c (disk), d (CD-ROM), "
                     "n (network) and a (floppy)", cfg_quote(text, q, sizeof(q)));
        return -1;
    }
    return dc_strdup(b, at, text, &b->cfg->hvm.boot);
}

int dc_build_hvm(struct dc_build *b)
{
    struct domain_hvm_options *hvm = &b->cfg->hvm;

    hvm->vncdisplay = -1;
    if (read_tristate(b, "acpi", &b->cfg->acpi) ||
        read_tristate(b, "vnc", &hvm->vnc) ||
        dc_copy_string(b, "vnclisten", &hvm->vnclisten) ||
        read_vncdisplay(b) ||
        dc_copy_string(b, "vncpasswd", &hvm->vncpasswd) ||
        read_tristate(b, "vncunused", &hvm->vncunused) ||
        read_tristate(b, "sdl", &hvm->sdl) ||
        copy_strings(b, "serial", &hvm->serial) ||
        read_boot(b) ||
        read_tristate(b, "usb", &hvm->usb) ||
        read_tristate(b, "xen_platform_pci", &hvm->xen_platform_pci) ||
        copy_strings(b, "usbdevice", &hvm->usbdevice))
        return -1;
    return 0;
}
