/*
 * Network interface specifications. Parameter names and meanings are
 * those of xl's parse_nic_config() (tools/xl/xl_parse.c) and the rate
 * syntax is libxlu's (tools/libs/util/libxlu_vif.c): parameters are
 * split at commas (empty ones skipped), leading blanks dropped, and a
 * later parameter replaces an earlier one. Where xl only prints a
 * complaint and carries on (an unknown parameter, a bad mac= or type=)
 * we refuse the spec; COLO parameters and accel= are accepted and
 * ignored with a warning, as xl does for accel=.
 */
#include "vif_spec.h"
#include "cfg_error.h"
#include "dom0/lib/hex.h"

#include <stdlib.h>
#include <string.h>

int vif_parse_mac(const char *text, uint8_t mac[6], char *why, size_t whylen)
{
    const char *p = text;
    char q[CFG_QUOTE_BUF];

    for (int i = 0; i < 6; i++) {
        int hi = hex_digit_value(p[0]), lo;

        if (hi < 0)
            goto bad;
        lo = hex_digit_value(p[1]);
        if (lo >= 0) {
            mac[i] = (uint8_t)(hi * 16 + lo);
            p += 2;
        } else {
            mac[i] = (uint8_t)hi;
            p += 1;
        }
        if (i < 5) {
            if (*p != ':' && *p != '-')
                goto bad;
            p++;
        }
    }
    if (*p)
        goto bad;
    if (mac[0] & 1) {
        cfg_error_set(why, whylen,
                      "MAC address '%s' is a multicast address (the low bit of the "
                      "first byte must be 0)", cfg_quote(text, q, sizeof(q)));
        return -1;
    }
    return 0;

bad:
    cfg_error_set(why, whylen,
                  "invalid MAC address '%s' (expected six hex bytes like "
                  "00:16:3e:12:34:56)", cfg_quote(text, q, sizeof(q)));
    return -1;
}

/* Digits only; returns the position after them, or NULL when there
 * are none or the value exceeds limit. */
static const char *vif_decimal(const char *p, uint64_t limit, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = p;

    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > limit)
            return NULL;
    }
    if (p == start)
        return NULL;
    *out = v;
    return p;
}

static int vif_rate_fail(char *why, size_t whylen, const char *what, const char *text)
{
    char q[CFG_QUOTE_BUF];

    cfg_error_set(why, whylen, "%s '%s'", what, cfg_quote(text, q, sizeof(q)));
    return -1;
}

/* NUMBER[G|M|K](B|b)/s, as bytes per second. */
static int vif_rate_bytes(const char *text, uint64_t *bytes_per_sec,
                          char *why, size_t whylen)
{
    uint64_t v, scale = 1;
    const char *p = vif_decimal(text, UINT32_MAX, &v);

    if (!p)
        return vif_rate_fail(why, whylen,
                             "invalid rate (expected e.g. 10Mb/s or 250KB/s, at most "
                             "4294967295 units)", text);
    switch (*p) {
    case 'G': scale = 1000000000; p++; break;
    case 'M': scale = 1000000; p++; break;
    case 'K': scale = 1000; p++; break;
    }
    if ((*p != 'B' && *p != 'b') || strcmp(p + 1, "/s"))
        return vif_rate_fail(why, whylen,
                             "invalid rate (expected e.g. 10Mb/s or 250KB/s)", text);
    if (!v)
        return vif_rate_fail(why, whylen, "rate must be greater than zero in", text);
    v *= scale;                 /* < 2^32 * 10^9 < 2^64 */
    if (*p == 'b')
        v /= 8;
    *bytes_per_sec = v;
    return 0;
}

/* NUMBER[s|ms|us] (also "m", "u"), as microseconds. */
static int vif_rate_interval(const char *text, uint32_t *usecs,
                             char *why, size_t whylen)
{
    uint64_t v, scale = 1000000;
    const char *p = vif_decimal(text, UINT32_MAX, &v);

    if (!p)
        return vif_rate_fail(why, whylen,
                             "invalid replenishment interval (expected e.g. 20ms)", text);
    if (*p == 'm') {
        scale = 1000;
        p++;
    } else if (*p == 'u') {
        scale = 1;
        p++;
    }
    if (*p == 's')
        p++;
    if (*p)
        return vif_rate_fail(why, whylen,
                             "invalid replenishment interval (expected e.g. 20ms)", text);
    if (!v)
        return vif_rate_fail(why, whylen,
                             "replenishment interval must be greater than zero in", text);
    v *= scale;
    if (v > UINT32_MAX)
        return vif_rate_fail(why, whylen, "replenishment interval too long in", text);
    *usecs = (uint32_t)v;
    return 0;
}

int vif_parse_rate(const char *text, uint64_t *bytes_per_interval,
                   uint32_t *interval_usecs, char *why, size_t whylen)
{
    uint64_t bytes_per_sec;
    uint32_t usecs = 50000;     /* libxlu's default: 50 ms */
    const char *at = strchr(text, '@');
    char rate[32];
    size_t n = at ? (size_t)(at - text) : strlen(text);

    if (!n)
        return vif_rate_fail(why, whylen, "no rate specified in", text);
    if (n >= sizeof(rate))
        return vif_rate_fail(why, whylen, "invalid rate", text);
    memcpy(rate, text, n);
    rate[n] = '\0';
    if (vif_rate_bytes(rate, &bytes_per_sec, why, whylen))
        return -1;
    if (at && vif_rate_interval(at + 1, &usecs, why, whylen))
        return -1;
    if (bytes_per_sec > UINT64_MAX / usecs)
        return vif_rate_fail(why, whylen, "rate overflow in", text);
    *bytes_per_interval = bytes_per_sec * usecs / 1000000;
    *interval_usecs = usecs;
    return 0;
}

static int vif_replace(char **field, const char *value, char *why, size_t whylen)
{
    char *copy = strdup(value);

    if (!copy) {
        cfg_error_set(why, whylen, "out of memory");
        return -1;
    }
    free(*field);
    *field = copy;
    return 0;
}

static int vif_number(const char *key, const char *value, uint64_t min,
                      uint64_t max, unsigned *out, char *why, size_t whylen)
{
    uint64_t v;
    const char *end = vif_decimal(value, max, &v);
    char q[CFG_QUOTE_BUF];

    if (!end || *end || v < min) {
        cfg_error_set(why, whylen, "%s must be a number from %llu to %llu, not '%s'",
                      key, (unsigned long long)min, (unsigned long long)max,
                      cfg_quote(value, q, sizeof(q)));
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* Returns the value when token is "key=...", else NULL. */
static const char *vif_option(const char *token, const char *key)
{
    size_t n = strlen(key);

    if (strncmp(token, key, n) || token[n] != '=')
        return NULL;
    return token + n + 1;
}

static int vif_parameter(struct vif_spec *vif, const char *token,
                         struct strlist *warnings, char *why, size_t whylen)
{
    static const struct { const char *key; size_t offset; } strings[] = {
        { "bridge", offsetof(struct vif_spec, bridge) },
        { "gatewaydev", offsetof(struct vif_spec, gatewaydev) },
        { "ip", offsetof(struct vif_spec, ip) },
        { "script", offsetof(struct vif_spec, script) },
        { "backend", offsetof(struct vif_spec, backend_domain) },
        { "vifname", offsetof(struct vif_spec, vifname) },
        { "model", offsetof(struct vif_spec, model) },
        { "vlan", offsetof(struct vif_spec, vlan) },
    };
    char q[CFG_QUOTE_BUF];
    const char *v;

    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        v = vif_option(token, strings[i].key);
        if (v)
            return vif_replace((char **)((char *)vif + strings[i].offset), v,
                               why, whylen);
    }
    if ((v = vif_option(token, "netdev"))) {
        if (warnings && strlist_add(warnings, "vif: netdev= is deprecated, "
                                    "use gatewaydev="))
            goto nomem;
        return vif_replace(&vif->gatewaydev, v, why, whylen);
    }
    if ((v = vif_option(token, "type"))) {
        if (!strcmp(v, "vif"))
            vif->type = VIF_TYPE_VIF;
        else if (!strcmp(v, "ioemu"))
            vif->type = VIF_TYPE_IOEMU;
        else {
            cfg_error_set(why, whylen, "type must be vif or ioemu, not '%s'",
                          cfg_quote(v, q, sizeof(q)));
            return -1;
        }
        return 0;
    }
    if ((v = vif_option(token, "mac"))) {
        if (vif_parse_mac(v, vif->mac, why, whylen))
            return -1;
        vif->has_mac = true;
        return 0;
    }
    if ((v = vif_option(token, "rate"))) {
        if (vif_parse_rate(v, &vif->rate_bytes_per_interval,
                           &vif->rate_interval_usecs, why, whylen))
            return -1;
        vif->has_rate = true;
        return 0;
    }
    if ((v = vif_option(token, "devid")))
        return vif_number("devid", v, 0, 0x7fffffff, &vif->devid, why, whylen);
    if ((v = vif_option(token, "mtu")))
        return vif_number("mtu", v, 68, 65535, &vif->mtu, why, whylen);
    if (!strcmp(token, "trusted")) {
        vif->trusted = TRISTATE_TRUE;
        return 0;
    }
    if (!strcmp(token, "untrusted")) {
        vif->trusted = TRISTATE_FALSE;
        return 0;
    }
    if (!strncmp(token, "colo_", 5) || vif_option(token, "forwarddev") ||
        vif_option(token, "accel")) {
        char name[CFG_QUOTE_MAX + 2];
        size_t n = strcspn(token, "=");
        if (n > sizeof(name) - 1)
            n = sizeof(name) - 1;
        memcpy(name, token, n);
        name[n] = '\0';
        if (warnings && strlist_addf(warnings, "vif: %s= is not supported and "
                                     "was ignored", cfg_quote(name, q, sizeof(q))))
            goto nomem;
        return 0;
    }
    cfg_error_set(why, whylen, "unrecognized parameter '%s'",
                  cfg_quote(token, q, sizeof(q)));
    return -1;

nomem:
    cfg_error_set(why, whylen, "out of memory");
    return -1;
}

int vif_spec_parse(const char *text, unsigned index, struct vif_spec *vif,
                   struct strlist *warnings, char *why, size_t whylen)
{
    char *copy, *p;
    int rc = 0;

    memset(vif, 0, sizeof(*vif));
    vif->devid = index;
    copy = strdup(text);
    if (!copy) {
        cfg_error_set(why, whylen, "out of memory");
        return -1;
    }
    p = copy;
    while (*p && !rc) {
        char *comma = strchr(p, ',');

        if (comma)
            *comma = '\0';
        while (*p == ' ')
            p++;
        if (*p)
            rc = vif_parameter(vif, p, warnings, why, whylen);
        p = comma ? comma + 1 : p + strlen(p);
    }
    free(copy);
    if (rc)
        vif_spec_free(vif);
    return rc;
}

void vif_spec_free(struct vif_spec *vif)
{
    free(vif->bridge);
    free(vif->ip);
    free(vif->script);
    free(vif->backend_domain);
    free(vif->vifname);
    free(vif->model);
    free(vif->gatewaydev);
    free(vif->vlan);
    memset(vif, 0, sizeof(*vif));
}
