/* lib/ code builds in the hypervisor (freestanding) and in Dom0 user space. */
#ifndef LIB_COMPAT_H
#define LIB_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __BASALT_HYPERVISOR__
#include <basalt/lib.h>
#else
#include <stdio.h>
#include <string.h>
#endif

#endif
