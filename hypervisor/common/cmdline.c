/* The hypervisor command line: space-separated name=value options. */
#include <basalt/boot.h>
#include <asm/percpu.h>
#include <basalt/lib.h>

extern const struct param __param_start[], __param_end[];

bool parse_size(const char *s, const char **end, uint64_t *out)
{
    const char *p;
    uint64_t v = strtou64(s, &p, 0);
    if (p == s)
        return false;
    switch (*p) {
    case 'G': case 'g': v <<= 30; p++; break;
    case 'M': case 'm': v <<= 20; p++; break;
    case 'K': case 'k': v <<= 10; p++; break;
    case 'B': case 'b': p++; break;
    }
    *out = v;
    if (end)
        *end = p;
    return true;
}

bool parse_cpu_list(const char *s, uint64_t *mask)
{
    *mask = 0;
    while (*s) {
        const char *end;
        uint64_t a = strtou64(s, &end, 10), b = a;
        if (end == s)
            return false;
        s = end;
        if (*s == '-') {
            b = strtou64(++s, &end, 10);
            if (end == s)
                return false;
            s = end;
        }
        if (a > b || b >= MAX_CPUS)
            return false;
        for (uint64_t c = a; c <= b; c++)
            *mask |= BIT(c);
        if (*s == ',')
            s++;
        else if (*s)
            return false;
    }
    return *mask != 0;
}

static void apply(const struct param *prm, const char *value, size_t vlen)
{
    char buf[256];
    const char *end;
    if (vlen >= sizeof(buf)) {
        pr_warn("option %s: value too long, ignored\n", prm->name);
        return;
    }
    memcpy(buf, value, vlen);
    buf[vlen] = '\0';

    switch (prm->kind) {
    case PARAM_UINT: {
        uint64_t v = strtou64(buf, &end, 0);
        if (end == buf || *end)
            pr_warn("option %s=%s: not a number, ignored\n", prm->name, buf);
        else
            *(unsigned int *)prm->var = (unsigned int)v;
        break;
    }
    case PARAM_SIZE: {
        uint64_t v;
        if (!parse_size(buf, &end, &v) || *end)
            pr_warn("option %s=%s: not a size, ignored\n", prm->name, buf);
        else
            *(uint64_t *)prm->var = v;
        break;
    }
    case PARAM_BOOL:
        *(bool *)prm->var = !(strcmp(buf, "0") == 0 || strcmp(buf, "no") == 0 ||
                              strcmp(buf, "off") == 0 || strcmp(buf, "false") == 0);
        break;
    case PARAM_STR:
        strlcpy(prm->var, buf, prm->len);
        break;
    case PARAM_CUSTOM:
        if (prm->custom(buf))
            pr_warn("option %s=%s: invalid, ignored\n", prm->name, buf);
        break;
    }
}

void cmdline_parse(const char *cmdline)
{
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *tok = p;
        while (*p && *p != ' ')
            p++;
        const char *eq = tok;
        while (eq < p && *eq != '=')
            eq++;
        size_t nlen = eq - tok;
        const char *value = eq < p ? eq + 1 : "1";
        size_t vlen = eq < p ? (size_t)(p - eq - 1) : 1;

        const struct param *prm;
        for (prm = __param_start; prm < __param_end; prm++)
            if (strlen(prm->name) == nlen && !strncmp(prm->name, tok, nlen))
                break;
        if (prm == __param_end)
            pr_warn("unknown option '%.*s' ignored\n", (int)(p - tok), tok);
        else
            apply(prm, value, vlen);
    }
}
