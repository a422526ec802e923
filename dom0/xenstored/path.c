#include "path.h"

#include <string.h>
#include "xs_abi.h"

#include "dom0/lib/mem.h"
#include "quota.h"

static bool path_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' || c == '@';
}

size_t path_domain_home_len(const char *path)
{
    static const char home[] = "/local/domain/";
    size_t n = sizeof(home) - 1, digits = 0;

    if (strncmp(path, home, n))
        return 0;
    while (path[n + digits] >= '0' && path[n + digits] <= '9' && digits < 5)
        digits++;
    if (!digits || (path[n + digits] != '/' && path[n + digits] != '\0'))
        return 0;
    return n + digits;
}

bool path_is_valid(const char *path)
{
    size_t len = strlen(path), home, i;

    if (path[0] != '/')
        return false;
    if (len > 1 && path[len - 1] == '/')
        return false;
    if (strstr(path, "//"))
        return false;
    for (i = 0; i < len; i++)
        if (!path_char_ok(path[i]))
            return false;
    if (len > XENSTORE_ABS_PATH_MAX)
        return false;
    /* The length quota, like Xen's, applies to the part of the path below a
     * domain's home so that every domain gets the same room. */
    home = path_domain_home_len(path);
    if (home)
        home++;
    return !quota.path_max || len <= home + quota.path_max;
}

bool path_is_special(const char *path)
{
    return path[0] == '@';
}

char *path_canonical(unsigned domid, const char *path)
{
    if (path[0] == '/' || path[0] == '@')
        return mem_strdup(path);
    return mem_asprintf("/local/domain/%u/%s", domid, path);
}

char *path_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *parent;

    if (!slash || !strcmp(path, "/"))
        return NULL;
    if (slash == path)
        return mem_strdup("/");
    parent = mem_dup(path, (size_t)(slash - path) + 1);
    parent[slash - path] = '\0';
    return parent;
}

const char *path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

char *path_child(const char *dir, const char *name)
{
    if (!strcmp(dir, "/"))
        return mem_asprintf("/%s", name);
    return mem_asprintf("%s/%s", dir, name);
}

bool path_is_below(const char *child, const char *parent)
{
    size_t n = strlen(parent);

    if (!strcmp(parent, "/"))
        return child[0] == '/';
    if (strncmp(child, parent, n))
        return false;
    return child[n] == '/' || child[n] == '\0';
}
