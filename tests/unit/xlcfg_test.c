/*
 * xl.cfg syntax (dom0/xl/cfg_lex.c, cfg_parse.c, cfg_settings.c,
 * cfg_get.c) and the domain configuration built from it
 * (dom0/xl/domain_config*.c). Device specs and CPU lists are covered
 * in xlcfg_devices_test.c.
 */
#include "tests/lib/tap.h"

#include "dom0/xl/cfg_error.c"
#include "dom0/xl/strlist.c"
#include "dom0/xl/cfg_lex.c"
#include "dom0/xl/cfg_settings.c"
#include "dom0/xl/cfg_parse.c"
#include "dom0/xl/cfg_get.c"
#include "dom0/xl/cpumap.c"
#include "dom0/xl/disk_spec.c"
#include "dom0/xl/vif_spec.c"
#include "dom0/lib/hex.c"
#include "dom0/lib/string_hash.c"
#include "dom0/xl/domain_config.c"
#include "dom0/xl/domain_config_general.c"
#include "dom0/xl/domain_config_resources.c"
#include "dom0/xl/domain_config_devices.c"
#include "dom0/xl/domain_config_hvm.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[1024];

/* ---- helpers: raw settings ---- */

static struct cfg_settings *parse(const char *text)
{
    struct cfg_settings *set = cfg_settings_new();

    err[0] = '\0';
    if (cfg_parse(set, "t.cfg", text, strlen(text), err, sizeof(err))) {
        cfg_settings_free(set);
        return NULL;
    }
    return set;
}

static const char *str_of(struct cfg_settings *set, const char *key)
{
    struct cfg_setting *s = set ? cfg_settings_find(set, key) : NULL;

    return s && s->value->kind == CFG_VALUE_STRING ? s->value->text : NULL;
}

static bool str_is(struct cfg_settings *set, const char *key, const char *want)
{
    const char *got = str_of(set, key);

    return got && !strcmp(got, want);
}

static unsigned line_of(struct cfg_settings *set, const char *key)
{
    struct cfg_setting *s = set ? cfg_settings_find(set, key) : NULL;

    return s ? s->line : 0;
}

static const struct cfg_value *list_of(struct cfg_settings *set, const char *key)
{
    struct cfg_setting *s = set ? cfg_settings_find(set, key) : NULL;

    return s && s->value->kind == CFG_VALUE_LIST ? s->value : NULL;
}

static bool item_is(const struct cfg_value *list, size_t i, const char *want)
{
    return list && i < list->count && list->items[i]->kind == CFG_VALUE_STRING &&
           !strcmp(list->items[i]->text, want);
}

/* Expects the syntax error text exactly. */
static void syntax_error(const char *name, const char *text, const char *want)
{
    struct cfg_settings *set = parse(text);

    CHECK(name, !set && !strcmp(err, want), "got [%s], want [%s]", set ? "(parsed)" : err,
          want);
    cfg_settings_free(set);
}

/* ---- helpers: domain configuration ---- */

static struct domain_config cfg;

static bool build(const char *text)
{
    err[0] = '\0';
    return domain_config_parse_buffer("t.cfg", text, strlen(text), NULL, 0, &cfg,
                                      err, sizeof(err)) == 0;
}

static bool build_with(const char *text, const char *const *ov, size_t n)
{
    err[0] = '\0';
    return domain_config_parse_buffer("t.cfg", text, strlen(text), ov, n, &cfg,
                                      err, sizeof(err)) == 0;
}

static void config_error(const char *name, const char *text, const char *want)
{
    bool ok = build(text);

    CHECK(name, !ok && !strcmp(err, want), "got [%s], want [%s]", ok ? "(built)" : err,
          want);
    if (ok)
        domain_config_free(&cfg);
}

static bool streq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* ================= syntax ================= */

static void test_basic_values(void)
{
    struct cfg_settings *set = parse("name = \"demo\"\nkernel='/boot/vmlinuz'\n"
                                     "memory = 512\nhex = 0x1f\noct = 010\n");
    long v = 0;

    CHECK("syntax: parses simple settings", set != NULL, "%s", err);
    CHECK("syntax: double-quoted string", str_is(set, "name", "demo"), "%s",
          str_of(set, "name"));
    CHECK("syntax: single-quoted string", str_is(set, "kernel", "/boot/vmlinuz"), "%s",
          str_of(set, "kernel"));
    CHECK("syntax: number kept as text", str_is(set, "memory", "512") &&
          str_is(set, "hex", "0x1f"), "%s", str_of(set, "hex"));
    CHECK("syntax: hex number converts", set && cfg_get_long(set, "hex", &v, NULL, err,
          sizeof(err)) == 1 && v == 31, "%ld %s", v, err);
    CHECK("syntax: leading 0 is octal, as strtol(.., 0)", set &&
          cfg_get_long(set, "oct", &v, NULL, err, sizeof(err)) == 1 && v == 8, "%ld", v);
    CHECK("syntax: line numbers", line_of(set, "name") == 1 && line_of(set, "memory") == 3 &&
          line_of(set, "oct") == 5, "%u %u", line_of(set, "name"), line_of(set, "memory"));
    CHECK("syntax: settings kept in file order", set && set->count == 5 &&
          !strcmp(set->items[0]->key, "name") && !strcmp(set->items[4]->key, "oct"), "%zu",
          set ? set->count : 0);
    cfg_settings_free(set);

    set = parse("memory = \"512\"\nneg = \"-3\"\n");
    CHECK("syntax: quoted number converts", set && cfg_get_long(set, "memory", &v, NULL,
          err, sizeof(err)) == 1 && v == 512, "%s", err);
    CHECK("syntax: negative number as a string", set && cfg_get_long(set, "neg", &v,
          NULL, err, sizeof(err)) == 1 && v == -3, "%s", err);
    cfg_settings_free(set);
}

static void test_separators_and_comments(void)
{
    struct cfg_settings *set = parse(
        "# a comment line\n"
        "\n"
        "   \t\n"
        "a = 1; b = 2 ;c=3\n"
        "d = \"x#y\" # trailing comment with 'quote\n"
        ";;\n"
        "e = 5 # comment at end of file without newline");

    CHECK("syntax: comments, blank lines, ';' separators", set && set->count == 5, "%s",
          err);
    CHECK("syntax: several settings on one line", str_is(set, "a", "1") &&
          str_is(set, "b", "2") && str_is(set, "c", "3") && line_of(set, "c") == 4, "%u",
          line_of(set, "c"));
    CHECK("syntax: '#' inside a string is not a comment", str_is(set, "d", "x#y"), "%s",
          str_of(set, "d"));
    CHECK("syntax: comment ending the file without newline", str_is(set, "e", "5"), "%s",
          err);
    cfg_settings_free(set);

    set = parse("a = 1\nb = 'last' ");
    CHECK("syntax: last setting without newline", str_is(set, "b", "last"), "%s", err);
    cfg_settings_free(set);

    set = parse("a = 1\r\nb = 2\r\n");
    CHECK("syntax: CRLF line ends accepted", str_is(set, "a", "1") && str_is(set, "b", "2") &&
          line_of(set, "b") == 2, "%s", err);
    cfg_settings_free(set);

    set = parse("");
    CHECK("syntax: empty input", set && set->count == 0, "%s", err);
    cfg_settings_free(set);

    set = parse("device_model_version = \"qemu-xen\"\nx.y_z9 = 1\n");
    CHECK("syntax: names with '_', '.' and digits", str_is(set, "device_model_version",
          "qemu-xen") && str_is(set, "x.y_z9", "1"), "%s", err);
    cfg_settings_free(set);
}

static void test_lists(void)
{
    struct cfg_settings *set = parse(
        "disk = [ 'a',\n"
        "         \"b\",\n"
        "       ]\n"
        "empty = []\n"
        "empty2 = [\n"
        "]\n"
        "nl = [\n"
        "  'x'\n"
        "  ,\n"
        "  'y'\n"
        "\n"
        "]\n"
        "nested = [ [ 'p', 1 ], [], 'q' ]\n"
        "mixed = [ 1, 0x2, 'three' ]\n");
    const struct cfg_value *l;

    CHECK("syntax: lists parse", set != NULL, "%s", err);
    l = list_of(set, "disk");
    CHECK("syntax: list spanning lines with trailing comma", l && l->count == 2 &&
          item_is(l, 0, "a") && item_is(l, 1, "b"), "%zu", l ? l->count : 0);
    CHECK("syntax: list items remember their line", l && l->count == 2 &&
          l->items[0]->line == 1 && l->items[1]->line == 2, "%s", "");
    CHECK("syntax: setting line is where the value starts", line_of(set, "disk") == 1, "%u",
          line_of(set, "disk"));
    l = list_of(set, "empty");
    CHECK("syntax: empty list", l && l->count == 0, "%s", "");
    l = list_of(set, "empty2");
    CHECK("syntax: empty list over two lines", l && l->count == 0, "%s", "");
    l = list_of(set, "nl");
    CHECK("syntax: newlines around items and commas", l && l->count == 2 &&
          item_is(l, 0, "x") && item_is(l, 1, "y"), "%s", "");
    l = list_of(set, "nested");
    CHECK("syntax: nested lists", l && l->count == 3 && l->items[0]->kind == CFG_VALUE_LIST &&
          item_is(l->items[0], 0, "p") && item_is(l->items[0], 1, "1") &&
          l->items[1]->kind == CFG_VALUE_LIST && l->items[1]->count == 0 &&
          item_is(l, 2, "q"), "%s", "");
    l = list_of(set, "mixed");
    CHECK("syntax: numbers in lists stay text", l && item_is(l, 0, "1") &&
          item_is(l, 1, "0x2") && item_is(l, 2, "three"), "%s", "");
    cfg_settings_free(set);
}

static void test_redefinition_and_append(void)
{
    struct cfg_settings *set = parse(
        "memory = 256\n"
        "name = 'a'\n"
        "memory = 512\n"
        "extra = 'console=hvc0'\n"
        "extra += ' quiet'\n"
        "disk = [ 'x' ]\n"
        "disk += [ 'y', 'z' ]\n"
        "fresh += 'new'\n"
        "mem2 = 1\n"
        "mem2 += 2\n");
    const struct cfg_value *l;
    long v;

    CHECK("syntax: later '=' replaces the earlier value", str_is(set, "memory", "512") &&
          line_of(set, "memory") == 3, "%s", str_of(set, "memory"));
    CHECK("syntax: replaced key keeps its first position", set &&
          !strcmp(set->items[0]->key, "memory") && !strcmp(set->items[1]->key, "name"), "%s", "");
    CHECK("syntax: '+=' concatenates strings", str_is(set, "extra", "console=hvc0 quiet") &&
          line_of(set, "extra") == 5, "%s", str_of(set, "extra"));
    l = list_of(set, "disk");
    CHECK("syntax: '+=' concatenates lists", l && l->count == 3 && item_is(l, 0, "x") &&
          item_is(l, 1, "y") && item_is(l, 2, "z"), "%s", "");
    CHECK("syntax: '+=' without earlier value defines", str_is(set, "fresh", "new"), "%s", "");
    CHECK("syntax: '+=' on numbers joins the text", str_is(set, "mem2", "12"), "%s",
          str_of(set, "mem2"));
    CHECK("syntax: a '+=' setting cannot be read as a number", set &&
          cfg_get_long(set, "mem2", &v, NULL, err, sizeof(err)) == -1 &&
          !strcmp(err, "t.cfg:10: '+=' cannot be used with 'mem2', which is a number"), "%s",
          err);
    cfg_settings_free(set);

    syntax_error("syntax: '+=' of a list onto a string", "a = 'x'\na += [ 'y' ]\n",
                 "t.cfg:2: '+=' cannot add a list to 'a', which is a string");
    syntax_error("syntax: '+=' of a string onto a list", "a = [ 'x' ]\na += 'y'\n",
                 "t.cfg:2: '+=' cannot add a string to 'a', which is a list");

    set = parse("a = ''\na += ''\nb = []\nb += []\n");
    CHECK("syntax: '+=' of empty values", str_is(set, "a", "") && list_of(set, "b") &&
          list_of(set, "b")->count == 0, "%s", err);
    cfg_settings_free(set);
}

static void test_escapes(void)
{
    struct cfg_settings *set = parse(
        "a = \"q\\\"q\\'q\\\\q\"\n"
        "b = 'x\\ny\\tz\\a\\b\\f\\r\\v'\n"
        "c = \"\\x41\\x7a\"\n"
        "d = \"\\101\\60\\0601\"\n"
        "f = \"caf\xc3\xa9\"\n");

    CHECK("syntax: escapes parse", set != NULL, "%s", err);
    CHECK("syntax: quote and backslash escapes", str_is(set, "a", "q\"q'q\\q"), "%s",
          str_of(set, "a"));
    CHECK("syntax: control escapes", str_is(set, "b", "x\ny\tz\a\b\f\r\v"), "%s", "");
    CHECK("syntax: \\xHH escape", str_is(set, "c", "Az"), "%s", str_of(set, "c"));
    CHECK("syntax: octal escapes", str_is(set, "d", "A001"), "%s", str_of(set, "d"));
    CHECK("syntax: UTF-8 inside strings", str_is(set, "f", "caf\xc3\xa9"), "%s", "");
    cfg_settings_free(set);

    syntax_error("syntax: adjacent strings are an error", "e = 'it''s'\n",
                 "t.cfg:1: unexpected string \"s\" after the value of 'e' (put each "
                 "setting on its own line or separate them with ';')");
    syntax_error("syntax: invalid escape", "a = \"x\\qy\"\n",
                 "t.cfg:1: invalid escape '\\q' in a string");
    syntax_error("syntax: short \\x escape", "a = \"\\x4\"\n",
                 "t.cfg:1: '\\x' in a string must be followed by two hex digits");
    syntax_error("syntax: NUL escape", "a = \"\\0\"\n",
                 "t.cfg:1: a string cannot contain a NUL character");
    syntax_error("syntax: octal escape too large", "a = \"\\400\"\n",
                 "t.cfg:1: octal escape in a string is larger than \\377");
    syntax_error("syntax: backslash at end of line", "a = \"x\\\nb = 1\n",
                 "t.cfg:1: unterminated string");
}

static void test_syntax_errors(void)
{
    char deep[64];

    syntax_error("syntax error: unterminated string", "name = \"demo\n",
                 "t.cfg:1: unterminated string");
    syntax_error("syntax error: unterminated string at end of file", "a = 1\nname = 'demo",
                 "t.cfg:2: unterminated string");
    syntax_error("syntax error: missing '='", "\nmemory 512\n",
                 "t.cfg:2: expected '=' after 'memory', found number 512");
    syntax_error("syntax error: missing '=' at end of line", "memory\n",
                 "t.cfg:1: expected '=' after 'memory', found end of line");
    syntax_error("syntax error: missing value", "memory =\n",
                 "t.cfg:1: missing value for 'memory'");
    syntax_error("syntax error: missing value before ';'", "memory = ; vcpus = 1\n",
                 "t.cfg:1: missing value for 'memory'");
    syntax_error("syntax error: unexpected ']'", "]\n", "t.cfg:1: unexpected ']'");
    syntax_error("syntax error: value without name", "= 1\n",
                 "t.cfg:1: unexpected '=' (missing setting name)");
    syntax_error("syntax error: number as a name", "a = 1\n12 = 3\n",
                 "t.cfg:2: unexpected number 12");
    syntax_error("syntax error: unquoted word as value", "name = demo\n",
                 "t.cfg:1: expected a value for 'name', found 'demo' (strings must be quoted)");
    syntax_error("syntax error: two settings without separator", "a = 1 b = 2\n",
                 "t.cfg:1: unexpected 'b' after the value of 'a' (put each setting on its "
                 "own line or separate them with ';')");
    syntax_error("syntax error: upper-case name", "Memory = 1\n",
                 "t.cfg:1: unexpected character 'M' (outside quotes only lower-case "
                 "letters are allowed)");
    syntax_error("syntax error: upper-case hex digits", "a = 0xFF\n",
                 "t.cfg:1: unexpected character 'F' (outside quotes only lower-case "
                 "letters are allowed)");
    syntax_error("syntax error: size suffix", "memory = 512M\n",
                 "t.cfg:1: unexpected character 'M' (outside quotes only lower-case "
                 "letters are allowed)");
    syntax_error("syntax error: negative bare number", "a = -1\n",
                 "t.cfg:1: unexpected character '-' (write a negative number as a "
                 "quoted string)");
    syntax_error("syntax error: Python syntax", "a = 1\nb = range(3)\n",
                 "t.cfg:2: expected a value for 'b', found 'range' (strings must be quoted)");
    syntax_error("syntax error: Python call", "a = (1)\n",
                 "t.cfg:1: unexpected character '(' (xl.cfg is not Python: see xl.cfg(5))");
    syntax_error("syntax error: '==' ", "a == 1\n",
                 "t.cfg:1: expected a value for 'a', found '='");
    syntax_error("syntax error: unterminated list", "disk = [ 'a',\n  'b'\n",
                 "t.cfg:3: unterminated list for 'disk' (missing ']'), found end of file");
    syntax_error("syntax error: missing comma in list", "disk = [ 'a' 'b' ]\n",
                 "t.cfg:1: expected ',' or ']' in the list for 'disk', found string \"b\"");
    syntax_error("syntax error: empty list item", "disk = [ 'a', , 'b' ]\n",
                 "t.cfg:1: expected a value or ']' in the list for 'disk', found ','");
    syntax_error("syntax error: list of only a comma", "disk = [ , ]\n",
                 "t.cfg:1: expected a value or ']' in the list for 'disk', found ','");
    syntax_error("syntax error: ';' inside a list", "disk = [ 'a'; 'b' ]\n",
                 "t.cfg:1: expected ',' or ']' in the list for 'disk', found ';'");
    syntax_error("syntax error: stray carriage return", "a = 1\rb = 2\n",
                 "t.cfg:1: unexpected carriage return");
    syntax_error("syntax error: non-ASCII outside a string", "a = 1\n\xc3\xa9 = 2\n",
                 "t.cfg:2: unexpected byte 0xc3");
    syntax_error("syntax error: '+' alone", "a + 1\n",
                 "t.cfg:1: unexpected character '+' (xl.cfg is not Python: see xl.cfg(5))");

    memset(deep, '[', 17);
    strcpy(deep + 17, "]\n");
    {
        char text[80];
        snprintf(text, sizeof(text), "a = %s", deep);
        syntax_error("syntax error: lists nested too deep", text,
                     "t.cfg:1: lists are nested more than 16 deep");
    }
    {
        struct cfg_settings *set = parse("a = [[[[[[[[[[[[[[[[ ]]]]]]]]]]]]]]]]\n");
        CHECK("syntax: 16 nested lists are fine", set != NULL, "%s", err);
        cfg_settings_free(set);
    }
    {
        static const char nul_text[] = "a = 1\nb = \"x\0y\"\n";
        struct cfg_settings *set = cfg_settings_new();
        int rc = cfg_parse(set, "t.cfg", nul_text, sizeof(nul_text) - 1, err, sizeof(err));
        CHECK("syntax error: NUL byte", rc == -1 &&
              !strcmp(err, "t.cfg:2: NUL byte in the configuration text"), "%s", err);
        cfg_settings_free(set);
    }
    {
        size_t n = CFG_MAX_INPUT_SIZE + 1;
        char *big = malloc(n);
        struct cfg_settings *set = cfg_settings_new();
        int rc;
        memset(big, '\n', n);
        rc = cfg_parse(set, "t.cfg", big, n, err, sizeof(err));
        CHECK("syntax error: input over 1 MiB", rc == -1 &&
              !strcmp(err, "t.cfg:0: too large (1048577 bytes; the limit is 1048576)"),
              "%s", err);
        cfg_settings_free(set);
        free(big);
    }
    syntax_error("syntax error: control bytes are escaped in messages",
                 "x = 1\na = 'a' 'b\x01'\n",
                 "t.cfg:2: unexpected string \"b\\x01\" after the value of 'a' (put each "
                 "setting on its own line or separate them with ';')");
    {
        char text[256], want[256], a64[65];
        memset(a64, 'a', 64);
        a64[64] = '\0';
        snprintf(text, sizeof(text), "name = 'x'\nmemory = '%s%s'\n", a64, a64);
        snprintf(want, sizeof(want), "t.cfg:2: value for 'memory' must be a number, not '%s...'",
                 a64);
        config_error("syntax error: long values are cut in messages", text, want);
    }
}

static void test_typed_access_errors(void)
{
    struct cfg_settings *set = parse("l = [ 1 ]\ns = 'x'\nn = 'abc'\nbig = 99999999999999999999\n"
                                     "t = '12 '\nb = 0\n");
    const char *text;
    const struct cfg_value *v;
    long n;
    bool flag = true;

    CHECK("get: list where a value is wanted", set &&
          cfg_get_string(set, "l", &text, NULL, err, sizeof(err)) == -1 &&
          !strcmp(err, "t.cfg:1: value for 'l' must be a single value, not a list"), "%s", err);
    CHECK("get: value where a list is wanted", set &&
          cfg_get_list(set, "s", &v, NULL, err, sizeof(err)) == -1 &&
          !strcmp(err, "t.cfg:2: value for 's' must be a list like [ \"...\", \"...\" ]"),
          "%s", err);
    CHECK("get: not a number", set && cfg_get_long(set, "n", &n, NULL, err, sizeof(err)) == -1 &&
          !strcmp(err, "t.cfg:3: value for 'n' must be a number, not 'abc'"), "%s", err);
    CHECK("get: number out of range", set &&
          cfg_get_long(set, "big", &n, NULL, err, sizeof(err)) == -1 &&
          !strcmp(err, "t.cfg:4: value for 'big' is out of range: '99999999999999999999'"),
          "%s", err);
    CHECK("get: trailing junk after a number", set &&
          cfg_get_long(set, "t", &n, NULL, err, sizeof(err)) == -1, "%s", err);
    CHECK("get: boolean 0", set && cfg_get_bool(set, "b", &flag, NULL, err, sizeof(err)) == 1 &&
          !flag, "%s", err);
    CHECK("get: absent key", set && cfg_get_long(set, "nothere", &n, NULL, err, sizeof(err)) == 0,
          "%s", "");
    CHECK("get: reading marks used", set && cfg_settings_find(set, "b")->used &&
          !cfg_settings_find(set, "nothere"), "%s", "");
    cfg_settings_free(set);
}

/* ================= domain configuration ================= */

static const char pvh_example[] =
    "# /etc/xen/demo.cfg: a PVH guest\n"
    "name = \"demo\"\n"
    "type = \"pvh\"\n"
    "kernel = \"/boot/vmlinuz-6.1.0-18-amd64\"\n"
    "ramdisk = \"/boot/initrd.img-6.1.0-18-amd64\"\n"
    "extra = \"console=hvc0 root=/dev/xvda1 ro\"\n"
    "memory = 1024\n"
    "maxmem = 2048\n"
    "vcpus = 2\n"
    "maxvcpus = 4\n"
    "cpus = \"2-3\"\n"
    "cpu_weight = 512\n"
    "cap = 150\n"
    "uuid = \"5f1bd0ee-7c7b-4c2f-9d6a-0123456789AB\"\n"
    "on_poweroff = \"destroy\"\n"
    "on_reboot = \"restart\"\n"
    "on_crash = \"preserve\"\n"
    "disk = [ 'phy:/dev/vg0/demo-root,xvda,w',\n"
    "         'file:/srv/xen/demo-data.img,xvdb,r',\n"
    "         'format=qcow2, vdev=xvdc, access=rw, target=/srv/xen/demo-scratch.qcow2' ]\n"
    "vif = [ 'mac=00:16:3e:1a:2b:3c,bridge=xenbr0' ]\n";

static void test_pvh_example(void)
{
    bool ok = build(pvh_example);
    const struct disk_spec *d;
    const struct vif_spec *v;

    CHECK("example: PVH config builds", ok, "%s", err);
    if (!ok)
        return;
    CHECK("example: name", streq(cfg.name, "demo"), "%s", cfg.name);
    CHECK("example: type pvh", cfg.type == DOMAIN_TYPE_PVH && !cfg.type_defaulted, "%d",
          cfg.type);
    CHECK("example: kernel", streq(cfg.kernel, "/boot/vmlinuz-6.1.0-18-amd64"), "%s",
          cfg.kernel);
    CHECK("example: ramdisk", streq(cfg.ramdisk, "/boot/initrd.img-6.1.0-18-amd64"), "%s",
          cfg.ramdisk);
    CHECK("example: cmdline from extra", streq(cfg.cmdline, "console=hvc0 root=/dev/xvda1 ro"),
          "%s", cfg.cmdline);
    CHECK("example: memory and maxmem", cfg.memory_mib == 1024 && cfg.maxmem_mib == 2048,
          "%llu %llu", (unsigned long long)cfg.memory_mib,
          (unsigned long long)cfg.maxmem_mib);
    CHECK("example: vcpus and maxvcpus", cfg.vcpus == 2 && cfg.max_vcpus == 4, "%u %u",
          cfg.vcpus, cfg.max_vcpus);
    CHECK("example: cpus", cfg.cpus.kind == VCPU_AFFINITY_ALL_VCPUS && cfg.cpus.count == 1 &&
          cpumap_count(&cfg.cpus.maps[0]) == 2 && cpumap_test(&cfg.cpus.maps[0], 2) &&
          cpumap_test(&cfg.cpus.maps[0], 3), "%s", "");
    CHECK("example: scheduler", cfg.weight == 512 && cfg.cap == 150, "%u %u", cfg.weight,
          cfg.cap);
    CHECK("example: uuid", cfg.has_uuid && cfg.uuid[0] == 0x5f && cfg.uuid[1] == 0x1b &&
          cfg.uuid[6] == 0x4c && cfg.uuid[15] == 0xab, "%s", "");
    CHECK("example: actions", cfg.on_poweroff == SHUTDOWN_ACTION_DESTROY &&
          cfg.on_reboot == SHUTDOWN_ACTION_RESTART &&
          cfg.on_crash == SHUTDOWN_ACTION_PRESERVE &&
          cfg.on_watchdog == SHUTDOWN_ACTION_DESTROY &&
          cfg.on_soft_reset == SHUTDOWN_ACTION_SOFT_RESET, "%s", "");
    CHECK("example: three disks", cfg.n_disks == 3, "%zu", cfg.n_disks);
    if (cfg.n_disks == 3) {
        d = &cfg.disks[0];
        CHECK("example: disk 1", streq(d->target, "/dev/vg0/demo-root") &&
              streq(d->vdev, "xvda") && d->readwrite && d->format == DISK_FORMAT_RAW &&
              !d->is_cdrom && d->backendtype == DISK_BACKEND_DEFAULT, "%s %s", d->target,
              d->vdev);
        d = &cfg.disks[1];
        CHECK("example: disk 2", streq(d->target, "/srv/xen/demo-data.img") &&
              streq(d->vdev, "xvdb") && !d->readwrite && d->format == DISK_FORMAT_RAW, "%s", "");
        d = &cfg.disks[2];
        CHECK("example: disk 3", streq(d->target, "/srv/xen/demo-scratch.qcow2") &&
              streq(d->vdev, "xvdc") && d->readwrite && d->format == DISK_FORMAT_QCOW2, "%s", "");
    }
    CHECK("example: one vif", cfg.n_vifs == 1, "%zu", cfg.n_vifs);
    if (cfg.n_vifs == 1) {
        static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x1a, 0x2b, 0x3c };
        v = &cfg.vifs[0];
        CHECK("example: vif", v->has_mac && !memcmp(v->mac, mac, 6) &&
              streq(v->bridge, "xenbr0") && v->devid == 0 && !v->ip, "%s", "");
    }
    CHECK("example: nothing ignored, no warnings", cfg.n_ignored == 0 &&
          cfg.warnings.count == 0, "%zu %zu", cfg.n_ignored, cfg.warnings.count);
    CHECK("example: HVM options untouched", cfg.hvm.vnc == TRISTATE_DEFAULT &&
          cfg.hvm.vncdisplay == -1 && !cfg.hvm.boot && cfg.hvm.serial.count == 0 &&
          cfg.acpi == TRISTATE_DEFAULT, "%s", "");
    domain_config_free(&cfg);
}

static void test_defaults(void)
{
    bool ok = build("name = 'min'\n");

    CHECK("defaults: minimal config builds", ok, "%s", err);
    if (!ok)
        return;
    CHECK("defaults: type is xl's x86 default, pv", cfg.type == DOMAIN_TYPE_PV &&
          cfg.type_defaulted, "%s", "");
    CHECK("defaults: 32 MiB", cfg.memory_mib == 32 && cfg.maxmem_mib == 32, "%s", "");
    CHECK("defaults: 1 vcpu", cfg.vcpus == 1 && cfg.max_vcpus == 1, "%s", "");
    CHECK("defaults: no pinning", cfg.cpus.kind == VCPU_AFFINITY_NONE && !cfg.cpus.maps, "%s", "");
    CHECK("defaults: weight 256, no cap", cfg.weight == 256 && cfg.cap == 0, "%s", "");
    CHECK("defaults: actions", cfg.on_poweroff == SHUTDOWN_ACTION_DESTROY &&
          cfg.on_reboot == SHUTDOWN_ACTION_RESTART &&
          cfg.on_watchdog == SHUTDOWN_ACTION_DESTROY &&
          cfg.on_crash == SHUTDOWN_ACTION_DESTROY &&
          cfg.on_soft_reset == SHUTDOWN_ACTION_SOFT_RESET, "%s", "");
    CHECK("defaults: no uuid, kernel, cmdline, devices", !cfg.has_uuid && !cfg.kernel &&
          !cfg.ramdisk && !cfg.cmdline && !cfg.n_disks && !cfg.n_vifs, "%s", "");
    domain_config_free(&cfg);
}

static void test_name(void)
{
    char text[128];

    config_error("name: required", "memory = 512\n",
                 "t.cfg:0: missing required setting 'name'");
    config_error("name: must be a string", "name = [ 'a' ]\n",
                 "t.cfg:1: value for 'name' must be a single value, not a list");
    config_error("name: empty", "name = ''\n", "t.cfg:1: name must be 1 to 64 characters long");
    snprintf(text, sizeof(text), "name = '%065d'\n", 1);
    config_error("name: too long", text, "t.cfg:1: name must be 1 to 64 characters long");
    snprintf(text, sizeof(text), "name = 'a%063d'\n", 1);
    CHECK("name: 64 characters is fine", build(text), "%s", err);
    domain_config_free(&cfg);
    config_error("name: space", "name = 'my vm'\n",
                 "t.cfg:1: name 'my vm' contains the character ' '; use letters, digits "
                 "and . _ + @ : -");
    config_error("name: slash", "name = 'a/b'\n",
                 "t.cfg:1: name 'a/b' contains the character '/'; use letters, digits "
                 "and . _ + @ : -");
    config_error("name: control character", "name = 'a\\tb'\n",
                 "t.cfg:1: name 'a\\x09b' contains the character '\\x09'; use letters, "
                 "digits and . _ + @ : -");
    config_error("name: all digits", "name = '123'\n",
                 "t.cfg:1: name '123' is all digits, which xl would read as a domain ID");
    config_error("name: leading dash", "name = '-x'\n",
                 "t.cfg:1: name '-x' must not start with '-'");
    CHECK("name: letters, digits and punctuation", build("name = 'Web-01_a.b+c@d:e'\n") &&
          streq(cfg.name, "Web-01_a.b+c@d:e"), "%s", err);
    domain_config_free(&cfg);
    CHECK("name: bare number accepted if not all digits", build("name = 0x1f\n") &&
          streq(cfg.name, "0x1f"), "%s", err);
    domain_config_free(&cfg);
}

static void test_type(void)
{
    static const struct { const char *text; enum domain_type type; } cases[] = {
        { "type = 'pvh'", DOMAIN_TYPE_PVH }, { "type = 'hvm'", DOMAIN_TYPE_HVM },
        { "type = 'pv'", DOMAIN_TYPE_PV }, { "type = 'h'", DOMAIN_TYPE_HVM },
        { "type = 'p'", DOMAIN_TYPE_PV }, { "builder = 'hvm'", DOMAIN_TYPE_HVM },
        { "builder = 'generic'", DOMAIN_TYPE_PV }, { "builder = 'gen'", DOMAIN_TYPE_PV },
        { "type = 'hvm'\nbuilder = 'hvm'", DOMAIN_TYPE_HVM },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[128], name[96];
        snprintf(text, sizeof(text), "name = 'x'\n%s\n", cases[i].text);
        snprintf(name, sizeof(name), "type: %s", cases[i].text);
        for (char *p = name; *p; p++)
            if (*p == '\n')
                *p = ' ';
        CHECK(name, build(text) && cfg.type == cases[i].type && !cfg.type_defaulted, "%s %d",
              err, cfg.type);
        domain_config_free(&cfg);
    }
    config_error("type: unknown", "name = 'x'\ntype = 'xen'\n",
                 "t.cfg:2: invalid domain type 'xen' (expected pvh, hvm or pv)");
    config_error("type: empty", "name = 'x'\ntype = ''\n",
                 "t.cfg:2: invalid domain type '' (expected pvh, hvm or pv)");
    config_error("type: too long", "name = 'x'\ntype = 'pvhx'\n",
                 "t.cfg:2: invalid domain type 'pvhx' (expected pvh, hvm or pv)");
    config_error("type: builder contradicts", "name = 'x'\ntype = 'pvh'\nbuilder = 'hvm'\n",
                 "t.cfg:3: builder=\"hvm\" contradicts type=\"pvh\"");
    config_error("type: unknown builder", "name = 'x'\nbuilder = 'linux'\n",
                 "t.cfg:2: invalid builder 'linux' (expected hvm or generic; builder= is "
                 "deprecated, use type=)");
}

static void test_uuid(void)
{
    config_error("uuid: too short", "name = 'x'\nuuid = '1234'\n",
                 "t.cfg:2: invalid uuid '1234' (expected the form "
                 "01234567-89ab-cdef-0123-456789abcdef)");
    config_error("uuid: misplaced dash", "name = 'x'\n"
                 "uuid = '5f1bd0ee7-c7b-4c2f-9d6a-0123456789ab'\n",
                 "t.cfg:2: invalid uuid '5f1bd0ee7-c7b-4c2f-9d6a-0123456789ab' (expected "
                 "the form 01234567-89ab-cdef-0123-456789abcdef)");
    config_error("uuid: not hex", "name = 'x'\n"
                 "uuid = '5f1bd0ee-7c7b-4c2f-9d6a-0123456789ag'\n",
                 "t.cfg:2: invalid uuid '5f1bd0ee-7c7b-4c2f-9d6a-0123456789ag' (expected "
                 "the form 01234567-89ab-cdef-0123-456789abcdef)");
}

static void test_cmdline(void)
{
    CHECK("cmdline: cmdline= alone", build("name='x'\ncmdline = 'console=hvc0'\n") &&
          streq(cfg.cmdline, "console=hvc0") && cfg.warnings.count == 0, "%s", err);
    domain_config_free(&cfg);
    CHECK("cmdline: root= alone", build("name='x'\nroot = '/dev/xvda1 ro'\n") &&
          streq(cfg.cmdline, "root=/dev/xvda1 ro"), "%s", cfg.cmdline);
    domain_config_free(&cfg);
    CHECK("cmdline: extra= alone", build("name='x'\nextra = 'quiet'\n") &&
          streq(cfg.cmdline, "quiet"), "%s", cfg.cmdline);
    domain_config_free(&cfg);
    CHECK("cmdline: root= then extra=", build("name='x'\nextra = 'console=hvc0'\n"
          "root = '/dev/xvda1'\n") && streq(cfg.cmdline, "root=/dev/xvda1 console=hvc0"),
          "%s", cfg.cmdline);
    domain_config_free(&cfg);
    CHECK("cmdline: cmdline= wins over root= and extra=",
          build("name='x'\nroot = '/dev/xvda1'\nextra = 'quiet'\ncmdline = 'init=/bin/sh'\n") &&
          streq(cfg.cmdline, "init=/bin/sh") && cfg.warnings.count == 1 &&
          !strcmp(cfg.warnings.items[0],
                  "t.cfg:4: ignoring root= and extra= in favour of cmdline="),
          "%s %zu", cfg.cmdline, cfg.warnings.count);
    CHECK("cmdline: root= and extra= are not listed as ignored", cfg.n_ignored == 0, "%zu",
          cfg.n_ignored);
    domain_config_free(&cfg);
    CHECK("cmdline: empty root=", build("name='x'\nroot = ''\n") &&
          streq(cfg.cmdline, "root="), "%s", cfg.cmdline);
    domain_config_free(&cfg);
    CHECK("cmdline: extra += appends", build("name='x'\nextra = 'a'\nextra += ' b'\n") &&
          streq(cfg.cmdline, "a b"), "%s", cfg.cmdline);
    domain_config_free(&cfg);
    config_error("cmdline: must be a string", "name='x'\nextra = [ 'a' ]\n",
                 "t.cfg:2: value for 'extra' must be a single value, not a list");
}

static void test_memory(void)
{
    CHECK("memory: memory= sets maxmem", build("name='x'\nmemory = 512\n") &&
          cfg.memory_mib == 512 && cfg.maxmem_mib == 512, "%s", err);
    domain_config_free(&cfg);
    CHECK("memory: maxmem= alone sets memory", build("name='x'\nmaxmem = 768\n") &&
          cfg.memory_mib == 768 && cfg.maxmem_mib == 768, "%s", err);
    domain_config_free(&cfg);
    CHECK("memory: equal memory and maxmem", build("name='x'\nmemory=256\nmaxmem=256\n") &&
          cfg.memory_mib == 256 && cfg.maxmem_mib == 256, "%s", err);
    domain_config_free(&cfg);
    CHECK("memory: hex and quoted", build("name='x'\nmemory = 0x200\nmaxmem = '1024'\n") &&
          cfg.memory_mib == 512 && cfg.maxmem_mib == 1024, "%s", err);
    domain_config_free(&cfg);
    config_error("memory: maxmem below memory",
                 "name = 'x'\n\n\n\nmemory = 512\n\nmaxmem = 256\n",
                 "t.cfg:7: maxmem (256) is less than memory (512)");
    config_error("memory: not a number", "name='x'\nmemory = 'lots'\n",
                 "t.cfg:2: value for 'memory' must be a number, not 'lots'");
    config_error("memory: zero", "name='x'\nmemory = 0\n",
                 "t.cfg:2: memory (0) must be between 1 and 4294967296 MiB");
    config_error("memory: negative", "name='x'\nmemory = '-5'\n",
                 "t.cfg:2: memory (-5) must be between 1 and 4294967296 MiB");
    config_error("memory: too big", "name='x'\nmemory = 4294967297\n",
                 "t.cfg:2: memory (4294967297) must be between 1 and 4294967296 MiB");
    config_error("memory: '+=' refused", "name='x'\nmemory = 5\nmemory += 12\n",
                 "t.cfg:3: '+=' cannot be used with 'memory', which is a number");
    config_error("memory: list refused", "name='x'\nmemory = [ 5 ]\n",
                 "t.cfg:2: value for 'memory' must be a single value, not a list");
}

static void test_vcpus(void)
{
    CHECK("vcpus: vcpus= sets maxvcpus", build("name='x'\nvcpus = 4\n") && cfg.vcpus == 4 &&
          cfg.max_vcpus == 4, "%s", err);
    domain_config_free(&cfg);
    CHECK("vcpus: maxvcpus above vcpus", build("name='x'\nvcpus = 2\nmaxvcpus = 8\n") &&
          cfg.vcpus == 2 && cfg.max_vcpus == 8, "%s", err);
    domain_config_free(&cfg);
    CHECK("vcpus: maxvcpus=0 means vcpus", build("name='x'\nvcpus = 3\nmaxvcpus = 0\n") &&
          cfg.max_vcpus == 3, "%s", err);
    domain_config_free(&cfg);
    CHECK("vcpus: maxvcpus alone", build("name='x'\nmaxvcpus = 4\n") && cfg.vcpus == 1 &&
          cfg.max_vcpus == 4, "%s", err);
    domain_config_free(&cfg);
    config_error("vcpus: maxvcpus below vcpus", "name='x'\nvcpus = 4\nmaxvcpus = 2\n",
                 "t.cfg:3: maxvcpus (2) is less than vcpus (4)");
    config_error("vcpus: zero", "name='x'\nvcpus = 0\n",
                 "t.cfg:2: vcpus (0) must be between 1 and 4096");
    config_error("vcpus: too many", "name='x'\nvcpus = 5000\n",
                 "t.cfg:2: vcpus (5000) must be between 1 and 4096");
    config_error("vcpus: negative maxvcpus", "name='x'\nmaxvcpus = '-1'\n",
                 "t.cfg:2: maxvcpus (-1) is less than vcpus (1)");
    config_error("vcpus: maxvcpus too many", "name='x'\nmaxvcpus = 4097\n",
                 "t.cfg:2: maxvcpus (4097) must be at most 4096");
}

static void test_cpus_key(void)
{
    CHECK("cpus: list gives per-vCPU maps", build("name='x'\nvcpus = 3\n"
          "cpus = [ '0', '2-3', 'all,^1' ]\n") &&
          cfg.cpus.kind == VCPU_AFFINITY_PER_VCPU && cfg.cpus.count == 3 &&
          cpumap_count(&cfg.cpus.maps[0]) == 1 && cpumap_test(&cfg.cpus.maps[0], 0) &&
          cpumap_count(&cfg.cpus.maps[1]) == 2 && cpumap_test(&cfg.cpus.maps[1], 3) &&
          !cpumap_test(&cfg.cpus.maps[2], 1) && cpumap_test(&cfg.cpus.maps[2], 511),
          "%s", err);
    domain_config_free(&cfg);
    CHECK("cpus: list entries past maxvcpus are dropped", build("name='x'\nvcpus = 2\n"
          "cpus = [ '0', '1', 'bogus' ]\n") && cfg.cpus.count == 2, "%s", err);
    domain_config_free(&cfg);
    CHECK("cpus: shorter list leaves later vCPUs unpinned", build("name='x'\nvcpus = 4\n"
          "cpus = [ '5' ]\n") && cfg.cpus.count == 1 && cpumap_test(&cfg.cpus.maps[0], 5),
          "%s", err);
    domain_config_free(&cfg);
    CHECK("cpus: empty list", build("name='x'\ncpus = []\n") &&
          cfg.cpus.kind == VCPU_AFFINITY_PER_VCPU && cfg.cpus.count == 0, "%s", err);
    domain_config_free(&cfg);
    config_error("cpus: bad string", "name='x'\ncpus = '0-'\n",
                 "t.cfg:2: cpus: invalid CPU range '0-'");
    config_error("cpus: bad list entry names its line", "name='x'\nvcpus = 2\ncpus = [ '0',\n"
                 "  'x' ]\n", "t.cfg:4: cpus entry 2: invalid CPU range 'x'");
    config_error("cpus: nested list", "name='x'\ncpus = [ [ '0' ] ]\n",
                 "t.cfg:2: entry 1 of 'cpus' must be a string, not a list");
    config_error("cpus: NUMA nodes", "name='x'\ncpus = 'nodes:0-1'\n",
                 "t.cfg:2: cpus: NUMA node terms like 'nodes:0-1' are not supported; list "
                 "CPUs instead");
}

static void test_scheduler(void)
{
    CHECK("sched: cpu_weight and cap", build("name='x'\nvcpus=2\ncpu_weight = 65535\n"
          "cap = 200\n") && cfg.weight == 65535 && cfg.cap == 200, "%s", err);
    domain_config_free(&cfg);
    config_error("sched: weight 0", "name='x'\ncpu_weight = 0\n",
                 "t.cfg:2: cpu_weight (0) must be between 1 and 65535");
    config_error("sched: weight too big", "name='x'\ncpu_weight = 65536\n",
                 "t.cfg:2: cpu_weight (65536) must be between 1 and 65535");
    config_error("sched: cap beyond vcpus", "name='x'\nvcpus = 2\ncap = 201\n",
                 "t.cfg:3: cap (201) must be between 0 (no cap) and 200 (100 per vCPU)");
    config_error("sched: negative cap", "name='x'\ncap = '-1'\n",
                 "t.cfg:2: cap (-1) must be between 0 (no cap) and 100 (100 per vCPU)");
    CHECK("sched: 'weight' is not an xl key", build("name='x'\nweight = 512\n") &&
          cfg.weight == 256 && cfg.n_ignored == 1 && streq(cfg.ignored[0].key, "weight"),
          "%s", err);
    domain_config_free(&cfg);
}

static void test_actions(void)
{
    static const char *const names[] = {
        "destroy", "restart", "rename-restart", "preserve", "coredump-destroy",
        "coredump-restart", "soft-reset",
    };
    static const char *const keys[] = {
        "on_poweroff", "on_reboot", "on_watchdog", "on_crash", "on_soft_reset",
    };

    for (size_t k = 0; k < 5; k++) {
        for (size_t i = 0; i < 7; i++) {
            char text[96], name[96];
            enum shutdown_action got[5];
            snprintf(text, sizeof(text), "name='x'\n%s = '%s'\n", keys[k], names[i]);
            snprintf(name, sizeof(name), "actions: %s = %s", keys[k], names[i]);
            if (!build(text)) {
                CHECK(name, false, "%s", err);
                continue;
            }
            got[0] = cfg.on_poweroff;
            got[1] = cfg.on_reboot;
            got[2] = cfg.on_watchdog;
            got[3] = cfg.on_crash;
            got[4] = cfg.on_soft_reset;
            CHECK(name, (size_t)got[k] == i && !strcmp(shutdown_action_name(got[k]), names[i]),
                  "%d", got[k]);
            domain_config_free(&cfg);
        }
    }
    config_error("actions: unknown", "name='x'\non_crash = 'reboot'\n",
                 "t.cfg:2: unknown on_crash action 'reboot' (expected destroy, restart, "
                 "rename-restart, preserve, coredump-destroy, coredump-restart or soft-reset)");
    config_error("actions: case matters", "name='x'\non_poweroff = 'Destroy'\n",
                 "t.cfg:2: unknown on_poweroff action 'Destroy' (expected destroy, restart, "
                 "rename-restart, preserve, coredump-destroy, coredump-restart or soft-reset)");
}

static void test_hvm_keys(void)
{
    bool ok = build("name='w'\ntype='hvm'\nacpi = 1\nvnc = 1\nvnclisten = '0.0.0.0:1'\n"
                    "vncdisplay = 3\nvncpasswd = 's3cret'\nvncunused = 0\nsdl = 0\n"
                    "serial = 'pty'\nboot = 'dc'\nusb = 1\nusbdevice = [ 'tablet', "
                    "'host:8.2' ]\n");

    CHECK("hvm: keys build", ok, "%s", err);
    if (ok) {
        CHECK("hvm: type", cfg.type == DOMAIN_TYPE_HVM, "%s", "");
        CHECK("hvm: acpi", cfg.acpi == TRISTATE_TRUE, "%s", "");
        CHECK("hvm: vnc", cfg.hvm.vnc == TRISTATE_TRUE && streq(cfg.hvm.vnclisten, "0.0.0.0:1") &&
              cfg.hvm.vncdisplay == 3 && streq(cfg.hvm.vncpasswd, "s3cret") &&
              cfg.hvm.vncunused == TRISTATE_FALSE, "%s", "");
        CHECK("hvm: sdl", cfg.hvm.sdl == TRISTATE_FALSE, "%s", "");
        CHECK("hvm: serial as a string", cfg.hvm.serial.count == 1 &&
              streq(cfg.hvm.serial.items[0], "pty"), "%s", "");
        CHECK("hvm: boot", streq(cfg.hvm.boot, "dc"), "%s", "");
        CHECK("hvm: usb", cfg.hvm.usb == TRISTATE_TRUE, "%s", "");
        CHECK("hvm: usbdevice as a list", cfg.hvm.usbdevice.count == 2 &&
              streq(cfg.hvm.usbdevice.items[0], "tablet") &&
              streq(cfg.hvm.usbdevice.items[1], "host:8.2"), "%s", "");
        domain_config_free(&cfg);
    }
    CHECK("hvm: serial as a list, usbdevice as a string",
          build("name='w'\nserial = [ 'pty', 'file:/tmp/s' ]\nusbdevice = 'tablet'\nacpi=0\n") &&
          cfg.hvm.serial.count == 2 && streq(cfg.hvm.serial.items[1], "file:/tmp/s") &&
          cfg.hvm.usbdevice.count == 1 && cfg.acpi == TRISTATE_FALSE, "%s", err);
    domain_config_free(&cfg);
    config_error("hvm: boolean must be a number", "name='w'\nvnc = 'yes'\n",
                 "t.cfg:2: value for 'vnc' must be a number, not 'yes'");
    config_error("hvm: bad boot letters", "name='w'\nboot = 'cx'\n",
                 "t.cfg:2: boot order 'cx' must be letters from c (disk), d (CD-ROM), "
                 "n (network) and a (floppy)");
    config_error("hvm: empty boot", "name='w'\nboot = ''\n",
                 "t.cfg:2: boot order '' must be letters from c (disk), d (CD-ROM), "
                 "n (network) and a (floppy)");
    config_error("hvm: vncdisplay range", "name='w'\nvncdisplay = 60000\n",
                 "t.cfg:2: vncdisplay (60000) must be between 0 and 59635");
    config_error("hvm: serial nested list", "name='w'\nserial = [ 'pty', [ 'x' ] ]\n",
                 "t.cfg:2: entry 2 of 'serial' must be a string, not a list");
}

static void test_ignored_keys(void)
{
    bool ok = build("name = 'x'\npool = 'Pool-0'\nvfb = [ 'vnc=1' ]\n"
                    "bootloader = 'pygrub'\nfoo = 1\nfoo = 2\n");

    CHECK("ignored: unknown keys do not fail", ok, "%s", err);
    if (!ok)
        return;
    CHECK("ignored: listed in file order, once each, with their latest line",
          cfg.n_ignored == 4 && streq(cfg.ignored[0].key, "pool") &&
          cfg.ignored[0].line == 2 && streq(cfg.ignored[1].key, "vfb") &&
          streq(cfg.ignored[2].key, "bootloader") && streq(cfg.ignored[3].key, "foo") &&
          cfg.ignored[3].line == 6 && streq(cfg.ignored[3].source, "t.cfg"),
          "%zu", cfg.n_ignored);
    domain_config_free(&cfg);
}

static void test_overrides(void)
{
    const char *ov1[] = { "memory=512", "name=\"other\"", "vcpus = 2; maxvcpus = 4" };
    const char *ov2[] = { "disk += [ 'file:/b.img,xvdb,r' ]", "extra += ' quiet'" };
    const char *ov3[] = { "memory=1", "vcpus" };
    const char *ov4[] = { "maxmem=128" };
    const char *ov5[] = { "newkey='x'" };
    const char *base = "name = 'demo'\nmemory = 256\nextra = 'console=hvc0'\n"
                       "disk = [ 'phy:/dev/a,xvda,w' ]\n";

    CHECK("overrides: replace file values", build_with(base, ov1, 3) &&
          streq(cfg.name, "other") && cfg.memory_mib == 512 && cfg.vcpus == 2 &&
          cfg.max_vcpus == 4, "%s", err);
    domain_config_free(&cfg);
    CHECK("overrides: '+=' extends file values", build_with(base, ov2, 2) &&
          cfg.n_disks == 2 && streq(cfg.disks[1].vdev, "xvdb") &&
          streq(cfg.cmdline, "console=hvc0 quiet"), "%s", err);
    domain_config_free(&cfg);
    CHECK("overrides: syntax error names the override",
          !build_with(base, ov3, 2) &&
          !strcmp(err, "command line:2: expected '=' after 'vcpus', found end of line"),
          "%s", err);
    CHECK("overrides: semantic error cites the override",
          !build_with(base, ov4, 1) &&
          !strcmp(err, "command line:1: maxmem (128) is less than memory (256)"), "%s", err);
    CHECK("overrides: unknown override key is listed as ignored",
          build_with(base, ov5, 1) && cfg.n_ignored == 1 &&
          streq(cfg.ignored[0].source, "command line") && cfg.ignored[0].line == 1,
          "%s", err);
    domain_config_free(&cfg);
    CHECK("overrides: name from the command line alone",
          build_with("", ov1, 2) && streq(cfg.name, "other"), "%s", err);
    domain_config_free(&cfg);
}

static void test_load_file(void)
{
    char path[] = "/tmp/xlcfg_test_XXXXXX";
    int fd = mkstemp(path);
    const char *ov[] = { "vcpus=3" };
    char want[256];
    FILE *f;

    SETUP("load: temporary file", fd >= 0, "mkstemp failed");
    if (fd < 0)
        return;
    f = fdopen(fd, "w");
    fputs(pvh_example, f);
    fclose(f);
    CHECK("load: from a file", domain_config_load(path, &cfg, err, sizeof(err)) == 0 &&
          streq(cfg.name, "demo") && cfg.n_disks == 3, "%s", err);
    domain_config_free(&cfg);
    CHECK("load: from a file with overrides",
          domain_config_load_with_overrides(path, ov, 1, &cfg, err, sizeof(err)) == 0 &&
          cfg.vcpus == 3 && cfg.max_vcpus == 4, "%s", err);
    domain_config_free(&cfg);

    f = fopen(path, "w");
    fputs("name = 'x'\nmemory = 512\nmaxmem = 100\n", f);
    fclose(f);
    snprintf(want, sizeof(want), "%s:3: maxmem (100) is less than memory (512)", path);
    CHECK("load: errors carry the file name",
          domain_config_load(path, &cfg, err, sizeof(err)) == -1 && !strcmp(err, want),
          "%s", err);

    f = fopen(path, "w");
    for (int i = 0; i < 70000; i++)
        fputs("a = '0123456789'\n", f);
    fclose(f);
    snprintf(want, sizeof(want), "%s:0: too large (more than 1048576 bytes)", path);
    CHECK("load: file over 1 MiB", domain_config_load(path, &cfg, err, sizeof(err)) == -1 &&
          !strcmp(err, want), "%s", err);
    unlink(path);

    snprintf(want, sizeof(want), "%s:0: cannot open: No such file or directory", path);
    CHECK("load: missing file", domain_config_load(path, &cfg, err, sizeof(err)) == -1 &&
          !strcmp(err, want), "%s", err);
    CHECK("load: error leaves nothing to free", !cfg.name && !cfg.disks, "%s", "");
    CHECK("load: small error buffer is safe",
          domain_config_load(path, &cfg, err, 8) == -1 && strlen(err) == 7, "%s", err);
}

static void test_many_settings(void)
{
    /* Many distinct keys exercise the settings index. */
    size_t n = 20000, len = 0;
    char *text = malloc(n * 24 + 32);
    bool ok;

    len += (size_t)sprintf(text + len, "name = 'x'\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "key%zu = %zu\n", i, i);
    ok = build(text);
    CHECK("scale: 20000 settings", ok && cfg.n_ignored == n &&
          streq(cfg.ignored[12345].key, "key12345") && cfg.ignored[12345].line == 12347,
          "%s", err);
    if (ok)
        domain_config_free(&cfg);
    free(text);
}

int main(void)
{
    TAP_PLAN(257);
    test_basic_values();
    test_separators_and_comments();
    test_lists();
    test_redefinition_and_append();
    test_escapes();
    test_syntax_errors();
    test_typed_access_errors();
    test_pvh_example();
    test_defaults();
    test_name();
    test_type();
    test_uuid();
    test_cmdline();
    test_memory();
    test_vcpus();
    test_cpus_key();
    test_scheduler();
    test_actions();
    test_hvm_keys();
    test_ignored_keys();
    test_overrides();
    test_load_file();
    test_many_settings();
    TAP_EXIT();
}
