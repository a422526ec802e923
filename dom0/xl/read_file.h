/* Reading a whole file into memory, with a size bound. */
#ifndef XL_READ_FILE_H
#define XL_READ_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads a whole regular file of at most max bytes into a malloc'd buffer
 * (not NUL-terminated; an empty file gives a non-NULL buffer of length 0).
 * Returns 0, or -1 with "PATH: reason" in err.
 */
int read_file(const char *path, size_t max, uint8_t **out, size_t *outlen, char *err,
              size_t errlen);

#endif
