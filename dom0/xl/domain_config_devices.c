/*
 * disk=[...] and vif=[...]. xl stops reading either list at the first
 * entry that is not a string and only prints complaints about bad vif
 * parameters; here both are errors. Two disks with the same vdev, or
 * two vifs with the same devid, are refused now rather than when libxl
 * adds the second device, and each list is limited in length (xl has no
 * limit) so a huge file cannot make the duplicate checks slow.
 */
#include "domain_config_build.h"
#include "cfg_error.h"
#include "cfg_get.h"

#include <stdlib.h>
#include <string.h>

/* The device list key (disk, vif) of at most max entries. Returns 1, 0
 * when it is not set, or -1 with the reason in b->err. */
static int get_device_list(struct dc_build *b, const char *key, size_t max,
                           const struct cfg_value **list, const struct cfg_setting **at)
{
    int rc = cfg_get_list(b->set, key, list, at, b->err, b->errlen);

    if (rc <= 0)
        return rc;
    if ((*list)->count > max) {
        cfg_error_at(b->err, b->errlen, (*at)->source, (*at)->line,
                     "too many %s entries (%zu; at most %zu)", key, (*list)->count, max);
        return -1;
    }
    return 1;
}

/* The list entry as a string, or an error naming the entry. */
static int list_entry_string(struct dc_build *b, const struct cfg_setting *at,
                             const char *key, const struct cfg_value *list, size_t i,
                             const char **text)
{
    const struct cfg_value *v = list->items[i];

    if (v->kind != CFG_VALUE_STRING) {
        cfg_error_at(b->err, b->errlen, at->source, v->line,
                     "%s entry %zu must be a string, not a list", key, i + 1);
        return -1;
    }
    *text = v->text;
    return 0;
}

static int read_disks(struct dc_build *b)
{
    struct domain_config *cfg = b->cfg;
    const struct cfg_setting *at = NULL;
    const struct cfg_value *list;
    char why[256], q[CFG_QUOTE_BUF];
    int rc = get_device_list(b, "disk", DOMAIN_MAX_DISKS, &list, &at);

    if (rc <= 0)
        return rc;
    if (list->count) {
        cfg->disks = calloc(list->count, sizeof(*cfg->disks));
        if (!cfg->disks)
            return dc_nomem(b, at);
    }
    for (size_t i = 0; i < list->count; i++) {
        struct disk_spec *disk = &cfg->disks[i];
        const char *text;

        if (list_entry_string(b, at, "disk", list, i, &text))
            return -1;
        if (disk_spec_parse(text, disk, why, sizeof(why))) {
            cfg_error_at(b->err, b->errlen, at->source, list->items[i]->line,
                         "invalid disk specification '%s': %s",
                         cfg_quote(text, q, sizeof(q)), why);
            return -1;
        }
        disk->line = list->items[i]->line;
        cfg->n_disks = i + 1;
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(cfg->disks[j].vdev, disk->vdev)) {
                cfg_error_at(b->err, b->errlen, at->source, list->items[i]->line,
                             "disk entries %zu and %zu both use vdev '%s'",
                             j + 1, i + 1, cfg_quote(disk->vdev, q, sizeof(q)));
                return -1;
            }
        }
    }
    return 0;
}

static int read_vifs(struct dc_build *b)
{
    struct domain_config *cfg = b->cfg;
    const struct cfg_setting *at = NULL;
    const struct cfg_value *list;
    char why[256], q[CFG_QUOTE_BUF];
    int rc = get_device_list(b, "vif", DOMAIN_MAX_VIFS, &list, &at);

    if (rc <= 0)
        return rc;
    if (list->count) {
        cfg->vifs = calloc(list->count, sizeof(*cfg->vifs));
        if (!cfg->vifs)
            return dc_nomem(b, at);
    }
    for (size_t i = 0; i < list->count; i++) {
        struct vif_spec *vif = &cfg->vifs[i];
        struct strlist notes = { 0 };
        const char *text;

        if (list_entry_string(b, at, "vif", list, i, &text))
            return -1;
        if (vif_spec_parse(text, (unsigned)i, vif, &notes, why, sizeof(why))) {
            strlist_free(&notes);
            cfg_error_at(b->err, b->errlen, at->source, list->items[i]->line,
                         "invalid vif specification '%s': %s",
                         cfg_quote(text, q, sizeof(q)), why);
            return -1;
        }
        cfg->n_vifs = i + 1;
        vif->line = list->items[i]->line;
        for (size_t n = 0; n < notes.count; n++) {
            if (strlist_addf(&cfg->warnings, "%s:%u: %s", at->source,
                             list->items[i]->line, notes.items[n])) {
                strlist_free(&notes);
                return dc_nomem(b, at);
            }
        }
        strlist_free(&notes);
        for (size_t j = 0; j < i; j++) {
            if (cfg->vifs[j].devid == vif->devid) {
                cfg_error_at(b->err, b->errlen, at->source, list->items[i]->line,
                             "vif entries %zu and %zu both have devid %u",
                             j + 1, i + 1, vif->devid);
                return -1;
            }
        }
    }
    return 0;
}

int dc_build_devices(struct dc_build *b)
{
    if (read_disks(b) || read_vifs(b))
        return -1;
    return 0;
}
