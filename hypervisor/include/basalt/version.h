/* What Basalt reports as its Xen ABI version. */
#ifndef BASALT_VERSION_H
#define BASALT_VERSION_H

/* The guest ABI level implemented: the Xen 4.17 public headers Debian ships. */
#define XEN_ABI_MAJOR 4
#define XEN_ABI_MINOR 17
#define XEN_ABI_EXTRAVERSION ".0-basalt"
#define BASALT_VERSION "0.1"

#endif
