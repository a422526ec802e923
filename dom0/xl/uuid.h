/* Domain UUIDs: random (version 4) ones for configs that give none. */
#ifndef XL_UUID_H
#define XL_UUID_H

#include <stdint.h>

#define UUID_STR_LEN 37 /* 36 characters and a NUL */

/* Fills u with a random version-4 UUID. Returns 0, or -1 (errno set). */
int uuid_generate_random(uint8_t u[16]);

/* The 8-4-4-4-12 lower-case form, as xl and /vm/<uuid> write it. */
void uuid_format(const uint8_t u[16], char out[UUID_STR_LEN]);

#endif
