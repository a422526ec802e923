/*
 * vif= as Basalt builds it: the parsed entries (vif_spec.c) checked
 * against what a PVH domain with Dom0's netback can have, every refusal
 * as "FILE:LINE: reason" before anything is created.
 */
#ifndef XL_VIF_CONFIG_H
#define XL_VIF_CONFIG_H

#include <stddef.h>

#include "xl_config.h"

struct build_request;

/* The checks of one entry that need nothing but its text (no emulated NIC
 * on PVH, no driver domains, interface names Linux takes). Returns 0, or
 * -1 with a reason (no location) in why. */
int vif_spec_check(const struct vif_spec *v, char *why, size_t len);

/* What the text alone decides (no emulated NICs on PVH, no driver
 * domains, interface names Linux takes); sets r->vifs. Returns 0, or -1
 * with "FILE:LINE: reason" in err. */
int vif_config_request(const struct xl_config *c, struct build_request *r, char *err,
                       size_t errlen);

/* "FILE:LINE: vif entry N: why" into err for entry i of the config's vif=
 * list; returns -1. */
int vif_config_fail(const struct xl_config *c, const struct vif_spec *v, size_t i, char *err,
                    size_t errlen, const char *why);

#endif
