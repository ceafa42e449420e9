/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Country names to ISO 3166-1 region codes, so that a phone number written
 * without a country code is read in the contact's own country rather than
 * the workspace's default region.
 */
#ifndef SFSYNC_COUNTRY_H
#define SFSYNC_COUNTRY_H

#include "phone.h"

/*
 * Fill out with the two-letter region code of country: a code itself
 * ("de", "GB"), or a name in English or in the country's own language, in
 * any ASCII letter case and with surrounding spaces ("Deutschland", "United
 * Kingdom", "中国"). Return 0, or -1 when country is NULL or not known.
 */
int country_region(const char *country, char out[PHONE_REGION_SIZE]);

#endif
