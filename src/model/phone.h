/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Phone number normalisation to E.164 over libphonenumber. The C++ side
 * lives in phone_shim.cc and catches every exception, so C callers only see
 * status codes.
 */
#ifndef SFSYNC_PHONE_H
#define SFSYNC_PHONE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct err;

/* '+', at most 15 digits (ITU-T E.164) and the NUL. */
#define PHONE_E164_SIZE 17
/* Two letters of an ISO 3166-1 alpha-2 region code and the NUL. */
#define PHONE_REGION_SIZE 3
/* libphonenumber keeps at most 20 extension digits; one more for the NUL. */
#define PHONE_EXTENSION_SIZE 21
#define PHONE_DEFAULT_REGION "US"

struct phone_number {
    char e164[PHONE_E164_SIZE];           /* "+14155552671" */
    char extension[PHONE_EXTENSION_SIZE]; /* "12", or "" */
    bool valid; /* IsValidNumber: the metadata lists the number's range */
};

/*
 * Load libphonenumber's metadata. The first call takes a noticeable time,
 * and later calls return at once. Calling it is optional, because every other
 * function here loads the metadata on first use. Safe from any thread.
 */
void phone_init(void);

/*
 * Return true when region is a two-letter region code that libphonenumber
 * has metadata for, in either letter case ("US", "gb").
 */
bool phone_region_supported(const char *region);

/*
 * Normalise text to E.164 using region (NULL for PHONE_DEFAULT_REGION) for
 * numbers written without a country code. A number is normalised when it
 * parses and its length is possible for its country, even when the metadata
 * does not list it as valid. out->valid then reports IsValidNumber, and any
 * extension goes to out->extension, never into out->e164.
 * Return 0, or SYNC_EINVALID with err filled when region is not supported,
 * text is not valid UTF-8, text is not a phone number, or its length is not
 * possible (a local-only number without its area code is not). out is
 * cleared on every failure.
 */
int phone_normalize(const char *text, const char *region,
                    struct phone_number *out, struct err *err);

#ifdef __cplusplus
}
#endif

#endif
