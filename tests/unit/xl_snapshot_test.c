/*
 * xl's snapshots, the part decided before anything is run
 * (dom0/xl/snapshot_plan.c), and the JSON it reads from QEMU
 * (dom0/xl/json.c): names, which disks are snapshotted how, parsing
 * `zfs list`, `qemu-img info --output=json` and QMP's query-block.
 */
#include "tests/lib/tap.h"

#include "dom0/xl/cfg_error.c"
#include "dom0/xl/disk_spec.c"
#include "dom0/xl/uuid.c"
#include "dom0/xl/xs_entries.c"
#include "dom0/xl/disk_vbd.c"
#include "dom0/xl/json.c"
#include "dom0/xl/snapshot_plan.c"

#include <stdio.h>
#include <string.h>

static struct json *parse(const char *text, char *err, size_t errlen)
{
    return json_parse(text, strlen(text), err, errlen);
}

static void test_json(void)
{
    char err[128];
    struct json *j = parse("{\"return\": {\"status\": \"running\", \"n\": -12, \"ok\": true,"
                           " \"list\": [1, 2.5, null, \"a\\u00e9\\n\\\"\"], \"e\": {}, \"b\": []}}",
                           err, sizeof(err));
    const struct json *r = json_get(j, "return");
    const struct json *list = json_get(r, "list");
    CHECK("json: a QMP reply", j && r && !strcmp(json_get_string(r, "status"), "running") &&
          json_get_int(r, "n", 0) == -12 && json_get(r, "ok")->boolean && list &&
          list->n == 4 && list->items[0]->integer == 1 && !list->items[1]->is_integer &&
          list->items[1]->number == 2.5 && list->items[2]->type == JSON_NULL &&
          !strcmp(list->items[3]->string, "a\xc3\xa9\n\"") && json_get(r, "e")->n == 0 &&
          json_get(r, "b")->type == JSON_ARRAY, "%s", j ? "wrong" : err);
    json_free(j);
    j = parse("\"\\ud83d\\ude00\"", err, sizeof(err));
    CHECK("json: a surrogate pair becomes UTF-8", j && !strcmp(j->string, "\xf0\x9f\x98\x80"),
          "%s", err);
    json_free(j);
    j = parse("{\"a\":1,\"a\":2}", err, sizeof(err));
    CHECK("json: a repeated member: the last counts", j && json_get_int(j, "a", 0) == 2, "%s", err);
    json_free(j);

    static const char *const bad[] = {
        "", "{", "}", "{\"a\"}", "{\"a\":}", "{a:1}", "[1,]", "[1 2]", "01", "1.", "-", "1e",
        "\"abc", "\"a\x01\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00x\"", "tru",
        "nul", "{} {}", "[\"a\",]", "{\"a\":1,}", "99999999999999999999999999999999999999999999999999999999999999999",
    };
    int refused = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = parse(bad[i], err, sizeof(err));
        if (!j)
            refused++;
        else
            printf("# accepted '%s'\n", bad[i]);
        json_free(j);
    }
    CHECK("json: malformed text refused", refused == (int)(sizeof(bad) / sizeof(bad[0])),
          "%d of %zu", refused, sizeof(bad) / sizeof(bad[0]));
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 99);
    deep[199] = '\0';
    j = parse(deep, err, sizeof(err));
    CHECK("json: nesting is bounded", !j && strstr(err, "deep"), "%s", err);
    json_free(j);
    j = parse("[1e400, 12345678901234567890]", err, sizeof(err));
    CHECK("json: out-of-range numbers are numbers, not integers",
          j && !j->items[0]->is_integer && !j->items[1]->is_integer, "%s", err);
    json_free(j);

    char out[64];
    CHECK("json_quote: quotes, backslashes, control characters",
          !json_quote("a\"b\\c\n", out, sizeof(out)) && !strcmp(out, "\"a\\\"b\\\\c\\u000a\""),
          "%s", out);
    CHECK("json_quote: too long refused", json_quote("abcdef", out, 6) == -1, "accepted");
    j = parse(out, err, sizeof(err));
    json_quote("a\"b\\c\n", out, sizeof(out));
    json_free(j);
    j = parse(out, err, sizeof(err));
    CHECK("json_quote: round trip", j && !strcmp(j->string, "a\"b\\c\n"), "%s", err);
    json_free(j);
}

static void test_names(void)
{
    char why[256];
    static const char *const good[] = { "clean", "before-upgrade", "2024-01-01", "a.b:c+d_e", "x1" };
    static const char *const bad[] = { "", "-x", ".x", "a b", "a/b", "a@b", "123", "a\"b",
                                       "x\n", "0123456789012345678901234567890123456789012345678901234567890123456789" };
    int ok = 0, refused = 0;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ok += snap_name_check(good[i], why, sizeof(why)) == 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused += snap_name_check(bad[i], why, sizeof(why)) == -1;
    CHECK("snapshot names: letters, digits, _.:+-", ok == 5, "%d", ok);
    CHECK("snapshot names: blanks, slashes, @, all digits, too long refused",
          refused == (int)(sizeof(bad) / sizeof(bad[0])), "%d", refused);
    snap_name_check("123", why, sizeof(why));
    CHECK("an all-digit name: the reason says why", strstr(why, "snapshot ID") != NULL, "%s", why);

    char ds[64];
    CHECK("zvol dataset of /dev/zvol/tank/web",
          !snap_zvol_dataset("/dev/zvol/tank/web", ds, sizeof(ds)) && !strcmp(ds, "tank/web"),
          "%s", ds);
    CHECK("zvol dataset of a nested volume",
          !snap_zvol_dataset("/dev/zvol/tank/vm/web-2", ds, sizeof(ds)) &&
          !strcmp(ds, "tank/vm/web-2"), "%s", ds);
    static const char *const not_zvol[] = { "/dev/zd0", "/dev/zvol/tank", "/dev/zvol/tank/web@x",
                                            "/dev/zvol//web", "/dev/zvol/tank/", "/srv/x.img",
                                            "/dev/zvol/tank/../etc" };
    refused = 0;
    for (size_t i = 0; i < sizeof(not_zvol) / sizeof(not_zvol[0]); i++)
        refused += snap_zvol_dataset(not_zvol[i], ds, sizeof(ds)) == -1;
    CHECK("not a zvol path: refused", refused == (int)(sizeof(not_zvol) / sizeof(not_zvol[0])),
          "%d", refused);
}

static void test_classify(void)
{
    char why[256];
    struct snap_disk d;
    struct vbd v = { .devid = 51712, .vdev = "xvda", .target = "/dev/zvol/tank/web",
                     .format = DISK_FORMAT_RAW, .readwrite = true };
    CHECK("a writable zvol: zfs", !snap_classify(&d, &v, "tank/web", why, sizeof(why)) &&
          d.kind == SNAP_ZVOL && !strcmp(d.dataset, "tank/web"), "%s", why);
    v.format = DISK_FORMAT_QCOW2;
    v.target = "/srv/a.qcow2";
    CHECK("a qcow2 image: QEMU's snapshots", !snap_classify(&d, &v, NULL, why, sizeof(why)) &&
          d.kind == SNAP_QCOW2, "%s", why);
    v.readwrite = false;
    CHECK("a read-only disk: skipped", !snap_classify(&d, &v, NULL, why, sizeof(why)) &&
          d.kind == SNAP_SKIP, "%s", why);
    v.readwrite = true;
    v.format = DISK_FORMAT_RAW;
    v.target = "/srv/a.img";
    CHECK("a raw file: refused, saying what xl snapshots",
          snap_classify(&d, &v, NULL, why, sizeof(why)) == -1 && strstr(why, "xvda") &&
          strstr(why, "ZFS volumes and qcow2"), "%s", why);
    v.format = DISK_FORMAT_VHD;
    CHECK("a vhd image: refused", snap_classify(&d, &v, NULL, why, sizeof(why)) == -1 &&
          strstr(why, "vhd"), "%s", why);
}

static void test_lists(void)
{
    struct snap_list l = { 0 };
    int rc = snap_parse_zfs_list(&l,
                                 "tank/web@clean\t1700000100\n"
                                 "tank/web-clone@x\t1700000050\n"
                                 "tank/web@after\t1700000200\n",
                                 "tank/web", "xvda");
    CHECK("zfs list: this dataset's snapshots only", rc == 0 && l.n == 2 &&
          !strcmp(l.e[0].name, "clean") && !strcmp(l.e[0].where, "tank/web@clean") &&
          l.e[0].created == 1700000100 && !strcmp(l.e[1].name, "after") &&
          !strcmp(l.e[1].vdev, "xvda"), "rc %d n %zu", rc, l.n);
    CHECK("zfs list: a line without a tab is an error",
          snap_parse_zfs_list(&l, "tank/web@x 1\n", "tank/web", "xvda") == -1, "accepted");
    CHECK("zfs list: empty output, no snapshots", !snap_parse_zfs_list(&l, "", "tank/web", "xvda"),
          "error");

    char err[128];
    struct json *info = json_parse(
        "{\"virtual-size\": 1073741824, \"filename\": \"/srv/b.qcow2\", \"format\": \"qcow2\","
        " \"snapshots\": [{\"icount\": 0, \"vm-clock-nsec\": 0, \"name\": \"base\", \"date-sec\":"
        " 1700000150, \"date-nsec\": 1, \"vm-clock-sec\": 0, \"id\": \"1\", \"vm-state-size\": 0}]}",
        strlen("{\"virtual-size\": 1073741824, \"filename\": \"/srv/b.qcow2\", \"format\": \"qcow2\","
               " \"snapshots\": [{\"icount\": 0, \"vm-clock-nsec\": 0, \"name\": \"base\", \"date-sec\":"
               " 1700000150, \"date-nsec\": 1, \"vm-clock-sec\": 0, \"id\": \"1\", \"vm-state-size\": 0}]}"),
        err, sizeof(err));
    rc = snap_parse_qemu(&l, json_get(info, "snapshots"), "/srv/b.qcow2", "xvdb");
    json_free(info);
    snap_list_sort(&l);
    CHECK("qemu-img info: snapshots; the list sorted by time",
          rc == 0 && l.n == 3 && !strcmp(l.e[1].name, "base") && !strcmp(l.e[1].vdev, "xvdb") &&
          l.e[1].created == 1700000150 && !strcmp(l.e[2].name, "after"), "rc %d", rc);
    CHECK("snap_list_has", snap_list_has(&l, "xvdb", "base") && !snap_list_has(&l, "xvda", "base"),
          "wrong");
    CHECK("qemu-img info without snapshots", !snap_parse_qemu(&l, NULL, "/x", "xvdc"), "error");
    snap_list_free(&l);

    const char *blocks_text =
        "{\"return\": [{\"io-status\": \"ok\", \"device\": \"\", \"locked\": false, \"removable\":"
        " false, \"qdev\": \"/machine/peripheral-anon/device[0]\", \"inserted\": {\"node-name\":"
        " \"xvda\", \"file\": \"/dev/zvol/tank/web\", \"drv\": \"raw\", \"image\": {}}},"
        " {\"device\": \"\", \"inserted\": {\"node-name\": \"xvdb\", \"file\": \"/srv/b.qcow2\","
        " \"drv\": \"qcow2\", \"image\": {\"snapshots\": [{\"name\": \"s1\", \"id\": \"1\","
        " \"date-sec\": 5}]}}}, {\"device\": \"\", \"type\": \"unknown\"}]}";
    struct json *blocks = json_parse(blocks_text, strlen(blocks_text), err, sizeof(err));
    char node[64];
    const struct json *image = NULL;
    rc = snap_find_node(json_get(blocks, "return"), "/srv/b.qcow2", node, sizeof(node), &image);
    CHECK("query-block: the node QEMU opened for a file", rc == 0 && !strcmp(node, "xvdb") &&
          image && !snap_parse_qemu(&l, json_get(image, "snapshots"), "/srv/b.qcow2", "xvdb") &&
          l.n == 1 && !strcmp(l.e[0].name, "s1"), "rc %d %s", rc, err);
    CHECK("query-block: a file QEMU has not opened",
          snap_find_node(json_get(blocks, "return"), "/srv/c.qcow2", node, sizeof(node), NULL) == -1,
          "found");
    snap_list_free(&l);
    json_free(blocks);
}

int main(void)
{
    TAP_PLAN(28);
    test_json();
    test_names();
    test_classify();
    test_lists();
    TAP_EXIT();
}
