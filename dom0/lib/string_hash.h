/* Hashing the strings that key Dom0's tables (xenstore paths, xl.cfg
 * keys). */
#ifndef DOM0_LIB_STRING_HASH_H
#define DOM0_LIB_STRING_HASH_H

#include <stddef.h>

/* FNV-1a over the bytes of s: quick for short keys, and with every key
 * coming from a bounded source (quotas, a 1 MiB file) nothing needs a
 * keyed hash. */
size_t string_hash(const char *s);

#endif
