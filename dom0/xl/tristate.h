/* A yes/no option that may also be left to its default. */
#ifndef XL_TRISTATE_H
#define XL_TRISTATE_H

enum tristate {
    TRISTATE_DEFAULT = 0,
    TRISTATE_FALSE,
    TRISTATE_TRUE,
};

#endif
