/*
 * One entry of xl.cfg's vif=[...] list (xl-network-configuration(5)):
 * comma-separated KEY=VALUE parameters and the flags trusted/untrusted,
 * e.g. "mac=00:16:3e:01:02:03,bridge=xenbr0,rate=10Mb/s".
 */
#ifndef XL_VIF_SPEC_H
#define XL_VIF_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strlist.h"
#include "tristate.h"

enum vif_type {
    VIF_TYPE_DEFAULT,   /* the toolstack chooses (ioemu for HVM) */
    VIF_TYPE_VIF,       /* paravirtual only */
    VIF_TYPE_IOEMU,     /* emulated NIC plus paravirtual */
};

struct vif_spec {
    unsigned devid;             /* devid=, else the index in the list */
    unsigned line;              /* where the entry is (set by the config reader; 0: none) */
    bool has_mac;               /* else the toolstack picks 00:16:3e:xx:xx:xx */
    uint8_t mac[6];
    char *bridge;               /* NULL: default (xenbr0) */
    char *ip;
    char *script;
    char *backend_domain;
    char *vifname;
    char *model;
    char *gatewaydev;           /* also from the deprecated netdev= */
    char *vlan;
    enum vif_type type;
    bool has_rate;
    uint64_t rate_bytes_per_interval;
    uint32_t rate_interval_usecs;
    unsigned mtu;               /* 0: default */
    enum tristate trusted;
};

/*
 * Parses text, entry number index (0-based) of the list, into vif
 * (overwritten). Notes about accepted-but-ignored parameters go to
 * warnings (may be NULL). Returns 0, or -1 with a reason (no location)
 * in why; vif then holds nothing to free.
 */
int vif_spec_parse(const char *text, unsigned index, struct vif_spec *vif,
                   struct strlist *warnings, char *why, size_t whylen);

/* "rate=" syntax: RATE[@INTERVAL], e.g. "10Mb/s", "1MB/s@20ms". */
int vif_parse_rate(const char *text, uint64_t *bytes_per_interval,
                   uint32_t *interval_usecs, char *why, size_t whylen);

/* "00:16:3e:01:02:03" (or with '-'): six bytes of one or two hex
 * digits. A multicast address is refused. */
int vif_parse_mac(const char *text, uint8_t mac[6], char *why, size_t whylen);

void vif_spec_free(struct vif_spec *vif);

#endif
