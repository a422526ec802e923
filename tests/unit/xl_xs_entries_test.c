/*
 * The xenstore entries xl writes for a new domain (dom0/xl/xs_entries.c):
 * the keys a stock Linux guest reads, the console keys xenconsoled serves,
 * permissions as libxl sets them, and the paths removed on destroy.
 */
#include "tests/lib/tap.h"

#include "dom0/xl/uuid.c"
#include "dom0/xl/xs_entries.c"

#include <stdio.h>
#include <string.h>

static const uint8_t uuid[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
                                  0x80, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };
#define UUID_TEXT "12345678-9abc-4def-8011-223344556677"

static struct xs_entry_list l;

#include "xs_entry_check.h"

int main(void)
{
    TAP_PLAN(26);
    struct xs_domain_desc d = {
        .domid = 5,
        .name = "demo",
        .uuid = uuid,
        .max_vcpus = 4,
        .vcpus = 2,
        .static_max_kib = 262144,
        .target_kib = 262144,
        .store_port = 2,
        .console_port = 1,
        .store_gfn = 0xfeffc,
        .console_gfn = 0xfefff,
        .backend_domid = 0,
        .type = "pvh",
        .start_time_sec = 1795842557,
        .start_time_cs = 7,
        .on_poweroff = "destroy",
        .on_reboot = "restart",
        .on_crash = "preserve",
    };
    char u[UUID_STR_LEN];
    uuid_format(uuid, u);
    CHECK("uuid_format", !strcmp(u, UUID_TEXT), "%s", u);
    uint8_t r[16], r2[16];
    CHECK("uuid_generate_random: version 4, RFC 4122 variant",
          !uuid_generate_random(r) && (r[6] >> 4) == 4 && (r[8] & 0xc0) == 0x80, "%02x %02x",
          r[6], r[8]);
    CHECK("uuid_generate_random: two differ", !uuid_generate_random(r2) && memcmp(r, r2, 16),
          "same");

    CHECK("entries build", !xs_entries_build(&d, &l), "out of memory");

    CHECK("home directory, readable by the domain", value_is("/local/domain/5", NULL) &&
          perms_are("/local/domain/5", "n0,r5"), "missing");
    CHECK("name, domid, vm", value_is("/local/domain/5/name", "demo") &&
          value_is("/local/domain/5/domid", "5") &&
          value_is("/local/domain/5/vm", "/vm/" UUID_TEXT), "missing");
    CHECK("cpu/N/availability: online below vcpus, offline up to maxvcpus",
          value_is("/local/domain/5/cpu/0/availability", "online") &&
          value_is("/local/domain/5/cpu/1/availability", "online") &&
          value_is("/local/domain/5/cpu/2/availability", "offline") &&
          value_is("/local/domain/5/cpu/3/availability", "offline") &&
          !find("/local/domain/5/cpu/4/availability"), "wrong");
    CHECK("memory/static-max = memory/target (no ballooning at boot)",
          value_is("/local/domain/5/memory/static-max", "262144") &&
          value_is("/local/domain/5/memory/target", "262144"), "wrong");
    CHECK("control/shutdown writable by the domain",
          value_is("/local/domain/5/control/shutdown", "") &&
          perms_are("/local/domain/5/control/shutdown", "n5"), "wrong");
    CHECK("control/feature-* writable by the domain",
          perms_are("/local/domain/5/control/feature-poweroff", "n5") &&
          perms_are("/local/domain/5/control/feature-reboot", "n5") &&
          perms_are("/local/domain/5/control/feature-suspend", "n5"), "wrong");
    CHECK("control/platform-feature-xs_reset_watches = 1, read-only",
          value_is("/local/domain/5/control/platform-feature-xs_reset_watches", "1") &&
          perms_are("/local/domain/5/control/platform-feature-xs_reset_watches", "n0,r5"),
          "wrong");
    CHECK("data, drivers, feature, attr, error owned by the domain",
          perms_are("/local/domain/5/data", "n5") && perms_are("/local/domain/5/drivers", "n5") &&
          perms_are("/local/domain/5/feature", "n5") && perms_are("/local/domain/5/attr", "n5") &&
          perms_are("/local/domain/5/error", "n5"), "wrong");
    CHECK("device directory read-only", value_is("/local/domain/5/device", NULL) &&
          perms_are("/local/domain/5/device", "n0,r5"), "wrong");
    CHECK("store/port and store/ring-ref (a GFN, in decimal)",
          value_is("/local/domain/5/store/port", "2") &&
          value_is("/local/domain/5/store/ring-ref", "1044476") &&
          perms_are("/local/domain/5/store/port", "n0,r5"), "wrong");
    CHECK("console keys for xenconsoled",
          value_is("/local/domain/5/console/port", "1") &&
          value_is("/local/domain/5/console/ring-ref", "1044479") &&
          value_is("/local/domain/5/console/type", "xenconsoled") &&
          value_is("/local/domain/5/console/output", "pty") &&
          value_is("/local/domain/5/console/tty", "") &&
          value_is("/local/domain/5/console/limit", "1048576") &&
          value_is("/local/domain/5/console/backend-id", "0") &&
          value_is("/local/domain/5/console/backend", "/local/domain/0/backend/console/5/0"),
          "wrong");
    CHECK("console owned by the backend, readable by the domain",
          perms_are("/local/domain/5/console", "n0,r5") &&
          perms_are("/local/domain/5/console/tty", "n0,r5"), "wrong");
    CHECK("console backend directory",
          value_is("/local/domain/0/backend/console/5/0/frontend", "/local/domain/5/console") &&
          value_is("/local/domain/0/backend/console/5/0/frontend-id", "5") &&
          value_is("/local/domain/0/backend/console/5/0/state", "1") &&
          value_is("/local/domain/0/backend/console/5/0/protocol", "vt100"), "wrong");
    CHECK("/vm/<uuid>: uuid, name, start_time",
          value_is("/vm/" UUID_TEXT "/uuid", UUID_TEXT) &&
          value_is("/vm/" UUID_TEXT "/name", "demo") &&
          value_is("/vm/" UUID_TEXT "/start_time", "1795842557.07") &&
          perms_are("/vm/" UUID_TEXT, "n0,r5"), "wrong");
    CHECK("/libxl/N: type and actions, Dom0 only",
          value_is("/libxl/5/type", "pvh") && value_is("/libxl/5/on_poweroff", "destroy") &&
          value_is("/libxl/5/on_reboot", "restart") && value_is("/libxl/5/on_crash", "preserve") &&
          perms_are("/libxl/5", "n0") && perms_are("/libxl/5/type", "n0"), "wrong");

    int dup = 0, orphan = 0, outside = 0;
    for (size_t i = 0; i < l.count; i++) {
        const char *p = l.items[i].path;
        for (size_t j = 0; j < i; j++)
            dup += !strcmp(p, l.items[j].path);
        if (strncmp(p, "/local/domain/5", 15) && strncmp(p, "/vm/" UUID_TEXT, 40) &&
            strncmp(p, "/libxl/5", 8) && strncmp(p, "/local/domain/0/backend/console/5/0", 35))
            outside++;
        /* Every entry's parent is written before it, unless the parent is
         * outside the domain's own trees (then xenstored creates it). */
        char parent[256];
        snprintf(parent, sizeof(parent), "%s", p);
        *strrchr(parent, '/') = 0;
        int known = 0;
        for (size_t j = 0; j < l.count; j++)
            if (!strcmp(parent, l.items[j].path)) {
                known = 1;
                if (j > i)
                    orphan++;
            }
        (void)known;
    }
    CHECK("no path written twice", dup == 0, "%d duplicates", dup);
    CHECK("nothing outside the domain's trees", outside == 0, "%d outside", outside);
    CHECK("parents come before children", orphan == 0, "%d out of order", orphan);
    xs_entries_free(&l);
    CHECK("free leaves an empty list", l.count == 0 && l.items == NULL, "not empty");

    char paths[XS_CLEANUP_MAX][XS_PATH_MAX];
    unsigned n = xs_cleanup_paths(5, 0, "/vm/" UUID_TEXT, paths);
    CHECK("cleanup: domain, vm, libxl, console and qdisk backends, device model", n == 6 &&
          !strcmp(paths[0], "/local/domain/5") && !strcmp(paths[1], "/vm/" UUID_TEXT) &&
          !strcmp(paths[2], "/libxl/5") && !strcmp(paths[3], "/local/domain/0/backend/console/5") &&
          !strcmp(paths[4], "/local/domain/0/backend/qdisk/5") &&
          !strcmp(paths[5], "/local/domain/0/device-model/5"),
          "%u paths", n);
    static const char *const bad_vm[] = { NULL, "", "/", "/vm", "/vm/", "/vm/a/b", "/vm/..",
                                          "/local/domain/0", "vm/x", "/vm/a b" };
    int safe = 1;
    for (size_t i = 0; i < sizeof(bad_vm) / sizeof(bad_vm[0]); i++) {
        n = xs_cleanup_paths(5, 0, bad_vm[i], paths);
        for (unsigned j = 0; j < n; j++)
            if (!strncmp(paths[j], "/vm", 3) || !strcmp(paths[j], "/"))
                safe = 0;
        safe &= n == 5;
    }
    CHECK("cleanup: a bad vm path is never removed", safe, "unsafe");
    CHECK("cleanup: never Dom0", xs_cleanup_paths(0, 0, "/vm/x", paths) == 0, "paths for dom0");
    TAP_EXIT();
}
