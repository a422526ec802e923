/* Looking domains up through BCTL_DOMAIN_INFO (see domains.h). */
#include "domains.h"

#include <errno.h>
#include <string.h>

#include "dom0/lib/domid.h"

#include "ctl.h"
#include "format.h"
#include "util.h"

int dom_foreach(int (*fn)(const struct basalt_domain_info *info, void *arg), void *arg)
{
    struct basalt_domain_info info;
    uint32_t next = 0;
    for (;;) {
        int rc = ctl_domain_next(next, &info);
        if (rc == -ESRCH)
            return 0;
        if (rc) {
            xl_err("cannot list domains: %s", ctl_strerror(rc));
            return rc;
        }
        rc = fn(&info, arg);
        if (rc)
            return rc;
        if (info.domid >= 0xffff)
            return 0;
        next = info.domid + 1;
    }
}

struct name_query {
    const char *name;
    struct basalt_domain_info *out;
};

static int name_matches(const struct basalt_domain_info *info, void *arg)
{
    struct name_query *q = arg;
    if (strcmp(fmt_domain_name(info), q->name) && strcmp(info->name, q->name))
        return 0;
    *q->out = *info;
    return 1;
}

int dom_find_name(const char *name, struct basalt_domain_info *info)
{
    struct name_query q = { name, info };
    return dom_foreach(name_matches, &q);
}

int dom_resolve(const char *spec, struct basalt_domain_info *info)
{
    uint32_t domid;
    if (domid_parse(spec, &domid)) {
        int rc = ctl_domain_info(domid, info);
        if (rc == -ESRCH) {
            xl_err("there is no domain with id %u", domid);
            return -1;
        }
        if (rc) {
            xl_err("cannot look up domain %u: %s", domid, ctl_strerror(rc));
            return -1;
        }
        return 0;
    }
    int rc = dom_find_name(spec, info);
    if (rc == 1)
        return 0;
    if (rc == 0)
        xl_err("there is no domain named '%s'", spec);
    return -1;
}
