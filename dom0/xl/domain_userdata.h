/*
 * The configuration a domain was created from, kept in a file while the
 * domain exists, as Xen's xl keeps it (libxl's "userdata",
 * /var/lib/xen/userdata-d.DOMID.UUID.KIND): xl create, xl restore and a
 * monitor's restart write it, xl save copies it into the save file (its
 * CONFIG record), the teardown removes it. Its bytes: the configuration
 * file's name, its text and each KEY=VALUE of the command line, each
 * NUL-terminated (sf_config_split in save_format.h reads them).
 */
#ifndef XL_DOMAIN_USERDATA_H
#define XL_DOMAIN_USERDATA_H

#include <stddef.h>
#include <stdint.h>

#define USERDATA_DIR "/var/lib/xen"

/* Reads the configuration file and makes those bytes (malloc'd in *out).
 * Returns 0, or -1 with a reason in err. */
int userdata_config_make(const char *path, const char *const *overrides, size_t n_overrides,
                         char **out, size_t *len, char *err, size_t errlen);
/* Writes the bytes for domain domid (UUID uuid), replacing any. 0 or -errno. */
int userdata_store(uint32_t domid, const uint8_t uuid[16], const void *buf, size_t len);
/* Reads them back (malloc'd); 0, or -ENOENT when there are none. */
int userdata_load(uint32_t domid, const uint8_t uuid[16], char **buf, size_t *len);
/* Removes whatever is kept for domid (under any UUID). */
void userdata_remove(uint32_t domid);

#endif
