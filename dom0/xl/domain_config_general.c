/*
 * Identity, boot and lifecycle settings: name, type/builder, uuid,
 * kernel, ramdisk, the kernel command line and the on_* actions. The
 * rules are those of xl's parse_config_data and parse_cmdline
 * (tools/xl/xl_parse.c) except where noted.
 */
#include "domain_config_build.h"
#include "cfg_error.h"
#include "cfg_get.h"
#include "dom0/lib/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * libxl puts no limit on a domain name besides uniqueness, but names
 * become parts of file names (logs, core dumps, saved images) and xl
 * takes an all-digit argument to be a domain ID. So Basalt accepts
 * 1..DOMAIN_NAME_MAX characters from [A-Za-z0-9._+@:-], not starting
 * with '-' or '.', and not all digits.
 */
static int check_domain_name(struct dc_build *b, const struct cfg_setting *where,
                             const char *name)
{
    size_t len = strlen(name);
    bool all_digits = true;
    char q[CFG_QUOTE_BUF];

    if (!len || len > DOMAIN_NAME_MAX) {
        cfg_error_at(b->err, b->errlen, where->source, where->line,
                     "name must be 1 to %d characters long", DOMAIN_NAME_MAX);
        return -1;
    }
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || (c && strchr("._+@:-", c));
        if (!ok) {
            char one[2] = { c, 0 }, shown[CFG_QUOTE_BUF];
            cfg_error_at(b->err, b->errlen, where->source, where->line,
                         "name '%s' contains the character '%s'; use letters, digits "
                         "and . _ + @ : -", cfg_quote(name, q, sizeof(q)),
                         cfg_quote(one, shown, sizeof(shown)));
            return -1;
        }
        if (c < '0' || c > '9')
            all_digits = false;
    }
    if (name[0] == '-' || name[0] == '.') {
        cfg_error_at(b->err, b->errlen, where->source, where->line,
                     "name '%s' must not start with '%c'",
                     cfg_quote(name, q, sizeof(q)), name[0]);
        return -1;
    }
    if (all_digits) {
        cfg_error_at(b->err, b->errlen, where->source, where->line,
                     "name '%s' is all digits, which xl would read as a domain ID",
                     name);
        return -1;
    }
    return 0;
}

/* xl compares with strncmp(value, name, strlen(value)): any non-empty
 * prefix of a type name selects it, the first match winning. */
static bool is_nonempty_prefix(const char *value, const char *name)
{
    size_t n = strlen(value);

    return n && n <= strlen(name) && !strncmp(value, name, n);
}

static int read_type(struct dc_build *b)
{
    const struct cfg_setting *type_at = NULL, *builder_at = NULL;
    const char *type, *builder;
    char q[CFG_QUOTE_BUF];
    int rc;

    rc = cfg_get_string(b->set, "type", &type, &type_at, b->err, b->errlen);
    if (rc < 0)
        return -1;
    if (rc) {
        if (is_nonempty_prefix(type, "hvm"))
            b->cfg->type = DOMAIN_TYPE_HVM;
        else if (is_nonempty_prefix(type, "pv"))
            b->cfg->type = DOMAIN_TYPE_PV;
        else if (is_nonempty_prefix(type, "pvh"))
            b->cfg->type = DOMAIN_TYPE_PVH;
        else {
            cfg_error_at(b->err, b->errlen, type_at->source, type_at->line,
                         "invalid domain type '%s' (expected pvh, hvm or pv)",
                         cfg_quote(type, q, sizeof(q)));
            return -1;
        }
    }
    /* builder= is xl's deprecated spelling: "hvm" or "generic" (PV). */
    rc = cfg_get_string(b->set, "builder", &builder, &builder_at, b->err, b->errlen);
    if (rc < 0)
        return -1;
    if (rc) {
        enum domain_type from_builder;

        if (is_nonempty_prefix(builder, "hvm"))
            from_builder = DOMAIN_TYPE_HVM;
        else if (is_nonempty_prefix(builder, "generic"))
            from_builder = DOMAIN_TYPE_PV;
        else {
            cfg_error_at(b->err, b->errlen, builder_at->source, builder_at->line,
                         "invalid builder '%s' (expected hvm or generic; "
                         "builder= is deprecated, use type=)",
                         cfg_quote(builder, q, sizeof(q)));
            return -1;
        }
        if (type_at && from_builder != b->cfg->type) {
            cfg_error_at(b->err, b->errlen, builder_at->source, builder_at->line,
                         "builder=\"%s\" contradicts type=\"%s\"",
                         cfg_quote(builder, q, sizeof(q)),
                         domain_type_name(b->cfg->type));
            return -1;
        }
        b->cfg->type = from_builder;
    }
    if (!type_at && !builder_at) {
        b->cfg->type = DOMAIN_TYPE_PV;
        b->cfg->type_defaulted = true;
    }
    return 0;
}

/* The form libuuid's uuid_parse accepts: 8-4-4-4-12 hex digits. */
static int parse_uuid(const char *text, uint8_t out[16])
{
    size_t byte = 0;

    if (strlen(text) != 36)
        return -1;
    for (size_t i = 0; i < 36;) {
        int hi, lo;

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return -1;
            i++;
            continue;
        }
        hi = hex_digit_value(text[i]);
        lo = hex_digit_value(text[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[byte++] = (uint8_t)(hi * 16 + lo);
        i += 2;
    }
    return 0;
}

/* xl's parse_cmdline: cmdline= wins over root= and extra=; otherwise
 * "root=ROOT EXTRA", "root=ROOT" or "EXTRA". */
static int read_cmdline(struct dc_build *b)
{
    const struct cfg_setting *cmdline_at = NULL, *root_at = NULL, *extra_at = NULL;
    const char *cmdline = NULL, *root = NULL, *extra = NULL;
    size_t len;

    if (cfg_get_string(b->set, "cmdline", &cmdline, &cmdline_at, b->err, b->errlen) < 0 ||
        cfg_get_string(b->set, "root", &root, &root_at, b->err, b->errlen) < 0 ||
        cfg_get_string(b->set, "extra", &extra, &extra_at, b->err, b->errlen) < 0)
        return -1;
    if (cmdline) {
        if ((root || extra) &&
            dc_warn(b, cmdline_at, "ignoring root= and extra= in favour of cmdline="))
            return -1;
        return dc_strdup(b, cmdline_at, cmdline, &b->cfg->cmdline);
    }
    if (!root)
        return extra ? dc_strdup(b, extra_at, extra, &b->cfg->cmdline) : 0;
    len = strlen("root=") + strlen(root) + (extra ? 1 + strlen(extra) : 0) + 1;
    b->cfg->cmdline = malloc(len);
    if (!b->cfg->cmdline)
        return dc_nomem(b, root_at);
    if (extra)
        snprintf(b->cfg->cmdline, len, "root=%s %s", root, extra);
    else
        snprintf(b->cfg->cmdline, len, "root=%s", root);
    return 0;
}

static int read_action(struct dc_build *b, const char *key,
                       enum shutdown_action fallback, enum shutdown_action *out)
{
    static const enum shutdown_action all[] = {
        SHUTDOWN_ACTION_DESTROY, SHUTDOWN_ACTION_RESTART,
        SHUTDOWN_ACTION_RENAME_RESTART, SHUTDOWN_ACTION_PRESERVE,
        SHUTDOWN_ACTION_COREDUMP_DESTROY, SHUTDOWN_ACTION_COREDUMP_RESTART,
        SHUTDOWN_ACTION_SOFT_RESET,
    };
    const struct cfg_setting *at = NULL;
    const char *text;
    char q[CFG_QUOTE_BUF];
    int rc = cfg_get_string(b->set, key, &text, &at, b->err, b->errlen);

    *out = fallback;
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!strcmp(text, shutdown_action_name(all[i]))) {
            *out = all[i];
            return 0;
        }
    }
    cfg_error_at(b->err, b->errlen, at->source, at->line,
                 "unknown %s action '%s' (expected destroy, restart, rename-restart, "
                 "preserve, coredump-destroy, coredump-restart or soft-reset)",
                 key, cfg_quote(text, q, sizeof(q)));
    return -1;
}

int dc_build_general(struct dc_build *b)
{
    struct domain_config *cfg = b->cfg;
    const struct cfg_setting *at = NULL;
    const char *text;
    char q[CFG_QUOTE_BUF];
    int rc;

    rc = cfg_get_string(b->set, "name", &text, &at, b->err, b->errlen);
    if (rc < 0)
        return -1;
    if (!rc) {
        cfg_error_at(b->err, b->errlen, b->source, 0,
                     "missing required setting 'name'");
        return -1;
    }
    if (check_domain_name(b, at, text) || dc_strdup(b, at, text, &cfg->name))
        return -1;

    if (read_type(b))
        return -1;

    rc = cfg_get_string(b->set, "uuid", &text, &at, b->err, b->errlen);
    if (rc < 0)
        return -1;
    if (rc) {
        if (parse_uuid(text, cfg->uuid)) {
            cfg_error_at(b->err, b->errlen, at->source, at->line,
                         "invalid uuid '%s' (expected the form "
                         "01234567-89ab-cdef-0123-456789abcdef)",
                         cfg_quote(text, q, sizeof(q)));
            return -1;
        }
        cfg->has_uuid = true;
    }

    if (dc_copy_string(b, "kernel", &cfg->kernel) < 0 ||
        dc_copy_string(b, "ramdisk", &cfg->ramdisk) < 0 ||
        read_cmdline(b))
        return -1;

    if (read_action(b, "on_poweroff", SHUTDOWN_ACTION_DESTROY, &cfg->on_poweroff) < 0 ||
        read_action(b, "on_reboot", SHUTDOWN_ACTION_RESTART, &cfg->on_reboot) < 0 ||
        read_action(b, "on_watchdog", SHUTDOWN_ACTION_DESTROY, &cfg->on_watchdog) < 0 ||
        read_action(b, "on_crash", SHUTDOWN_ACTION_DESTROY, &cfg->on_crash) < 0 ||
        read_action(b, "on_soft_reset", SHUTDOWN_ACTION_SOFT_RESET, &cfg->on_soft_reset) < 0)
        return -1;
    return 0;
}
