/* Files that hold one decimal number, as xenfs's /proc/xen/xsd_port does. */
#ifndef DOM0_LIB_NUMBER_FILE_H
#define DOM0_LIB_NUMBER_FILE_H

/* Reads the number at the start of the file at path (strtoul's reading:
 * 0 if there is none). Returns 0 with *out set, -ENOENT if the file cannot
 * be opened, -EIO if it is empty or cannot be read. */
int number_file_read(const char *path, unsigned *out);

#endif
