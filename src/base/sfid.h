/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Salesforce record ids in their 15- and 18-character forms. */
#ifndef SFSYNC_SFID_H
#define SFSYNC_SFID_H

#define SFID_SIZE 19 /* 18 characters and the NUL */

/*
 * Fill out with the 18-character form of a 15-character id, or of an
 * 18-character id in any letter case (the suffix restores the case).
 * Return 0, or -1 when id is not a well-formed record id.
 */
int sfid_to18(const char *id, char out[SFID_SIZE]);

#endif
