/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Salesforce record ids: a 3-character key prefix, then 12 characters
 * unique within the org, then a 3-character suffix that encodes the case
 * of the first 15 so that the 18-character form survives case-insensitive
 * systems.
 */
#include "common.h"

#include <ctype.h>

#include "sfid.h"

static const char suffix_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/* Write the 3 suffix characters of a 15-character id into out. */
static void case_suffix(const char *id15, char out[3])
{
    for (int chunk = 0; chunk < 3; chunk++) {
        int bits = 0;

        for (int j = 0; j < 5; j++) {
            char c = id15[chunk * 5 + j];

            if (c >= 'A' && c <= 'Z')
                bits |= 1 << j;
        }
        out[chunk] = suffix_alphabet[bits];
    }
}

static int all_alnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return 1;
}

int sfid_to18(const char *id, char out[SFID_SIZE])
{
    size_t len = id ? strlen(id) : 0;
    char suffix[3];

    if ((len != 15 && len != 18) || !all_alnum(id, len))
        return -1;
    memcpy(out, id, 15);
    if (len == 18) {
        /* The suffix says which of the first 15 characters are upper
         * case, so an 18-character id may arrive in any case. */
        for (int chunk = 0; chunk < 3; chunk++) {
            const char *p = strchr(suffix_alphabet, toupper(id[15 + chunk]));
            int bits;

            if (!p)
                return -1;
            bits = (int)(p - suffix_alphabet);
            for (int j = 0; j < 5; j++) {
                char *c = &out[chunk * 5 + j];

                if (isalpha((unsigned char)*c))
                    *c = (char)((bits & (1 << j)) ? toupper(*c)
                                                  : tolower(*c));
                else if (bits & (1 << j))
                    return -1;
            }
        }
    }
    case_suffix(out, suffix);
    memcpy(out + 15, suffix, 3);
    out[18] = '\0';
    return 0;
}
