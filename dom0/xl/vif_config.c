/* vif= checked against what Basalt builds (see vif_config.h). */
#include "vif_config.h"

#include <stdio.h>
#include <string.h>

#include "build_request.h"
#include "cfg_error.h"
#include "vif_entries.h"

/* "FILE:LINE: vif N: reason", at the entry's own line when known. */
int vif_config_fail(const struct xl_config *c, const struct vif_spec *v, size_t i, char *err,
                    size_t errlen, const char *why)
{
    const char *source;
    unsigned line;
    xl_config_where(c, (const char *const[]){ "vif", NULL }, &source, &line);
    cfg_error_at(err, errlen, source, v->line ? v->line : line, "vif entry %zu: %s", i + 1, why);
    return -1;
}

int vif_spec_check(const struct vif_spec *v, char *why, size_t len)
{
    char q[CFG_QUOTE_BUF];
    if (v->type == VIF_TYPE_IOEMU) {
        cfg_error_set(why, len,
                      "type=ioemu asks for an emulated NIC, which a PVH domain does not have "
                      "(type=vif, the default, is its PV NIC)");
        return -1;
    }
    if (v->backend_domain && strcmp(v->backend_domain, "0") &&
        strcmp(v->backend_domain, "Domain-0")) {
        cfg_error_set(why, len,
                      "backend=%s: Basalt's vifs are served by Dom0's netback; driver domains "
                      "are not supported",
                      cfg_quote(v->backend_domain, q, sizeof(q)));
        return -1;
    }
    if (v->devid > VIF_MAX_DEVID) {
        cfg_error_set(why, len, "devid=%u: at most %d", v->devid, VIF_MAX_DEVID);
        return -1;
    }
    if (v->vifname && !vif_iface_name_ok(v->vifname)) {
        cfg_error_set(why, len,
                      "vifname=%s is not a name Linux gives an interface (1-15 characters, "
                      "no '/', ':' or blanks)",
                      cfg_quote(v->vifname, q, sizeof(q)));
        return -1;
    }
    if (v->bridge && !vif_iface_name_ok(v->bridge)) {
        cfg_error_set(why, len, "bridge=%s is not an interface name",
                      cfg_quote(v->bridge, q, sizeof(q)));
        return -1;
    }
    return 0;
}

int vif_config_request(const struct xl_config *c, struct build_request *r, char *err,
                       size_t errlen)
{
    const struct domain_config *dc = &c->dc;
    char why[512], q[CFG_QUOTE_BUF];

    for (size_t i = 0; i < dc->n_vifs; i++) {
        const struct vif_spec *v = &dc->vifs[i];
        if (vif_spec_check(v, why, sizeof(why)))
            return vif_config_fail(c, v, i, err, errlen, why);
        for (size_t j = 0; j < i; j++)
            if (v->vifname && dc->vifs[j].vifname && !strcmp(v->vifname, dc->vifs[j].vifname)) {
                snprintf(why, sizeof(why), "vifname=%s is also entry %zu's",
                         cfg_quote(v->vifname, q, sizeof(q)), j + 1);
                return vif_config_fail(c, v, i, err, errlen, why);
            }
    }
    if (dc->n_vifs > VIF_MAX_DEVICES) {
        snprintf(why, sizeof(why), "%zu vifs: at most %d", dc->n_vifs, VIF_MAX_DEVICES);
        return vif_config_fail(c, &dc->vifs[VIF_MAX_DEVICES], VIF_MAX_DEVICES, err, errlen,
                               why);
    }
    r->vifs = dc->vifs;
    r->n_vifs = dc->n_vifs;
    return 0;
}
