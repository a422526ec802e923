/* Hexadecimal digits, for the text Dom0's tools read (MAC addresses,
 * UUIDs, escapes in xl.cfg strings). */
#ifndef DOM0_LIB_HEX_H
#define DOM0_LIB_HEX_H

/* The value (0-15) of one hex digit, either case; -1 if c is not one. */
int hex_digit_value(char c);

#endif
