/* String hashing (see string_hash.h). */
#include "string_hash.h"

#include <stdint.h>

size_t string_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}
