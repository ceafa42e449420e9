/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The admin settings of a workspace: their names, defaults and valid
 * values. Values live in the store's settings table as text; this module
 * only validates and interprets them.
 */
#ifndef SFSYNC_SETTINGS_H
#define SFSYNC_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/mapping.h"

struct err;
struct store;

enum sync_direction {
    SYNC_DIRECTION_BOTH,
    SYNC_DIRECTION_TO_SALESFORCE,
    SYNC_DIRECTION_FROM_SALESFORCE
};

struct setting_def {
    const char *key;
    const char *default_value;
    const char *connect_value; /* stored by connect when unset, or NULL */
    const char *valid;         /* the valid values, for messages */
    const char *help;
};

/* Every known setting, ending with a NULL key. */
extern const struct setting_def settings_defs[];

/* The definition of key, or NULL when it is unknown. */
const struct setting_def *settings_find(const char *key);

/*
 * Check value for key and write its canonical form to *out (owned by the
 * caller). Return 0, or SYNC_EINVALID with a message naming the value and
 * the valid ones.
 */
int settings_normalize(const char *key, const char *value, char **out,
                       struct err *err);

/*
 * Read key for a workspace: the stored value, or the default, except that
 * default_region is the region of the workspace's row, which
 * 'workspaces add --region' sets. *out is owned by the caller. Return 0 or
 * a negative code.
 */
int settings_get(struct store *s, int64_t workspace_id, const char *key,
                 char **out, struct err *err);

/* Validate and store key; default_region goes through
 * settings_set_region. Return 0 or a negative code. */
int settings_set(struct store *s, int64_t workspace_id, const char *key,
                 const char *value, struct err *err);

/*
 * Validate and store the default_region setting and the workspace's region,
 * and compute the E.164 forms of the stored contacts' phones again with it,
 * all in one transaction, which the caller must not have open. No outbox
 * entry is queued, since no typed value changes. *out_changed receives the
 * number of contacts whose forms changed, and *out_invalidated (may be
 * NULL) the number of those with a phone that was valid and no longer is.
 * Return 0, SYNC_EINVALID for an unsupported region, or SYNC_EDB (nothing
 * is written).
 */
int settings_set_region(struct store *s, int64_t workspace_id,
                        const char *value, int64_t *out_changed,
                        int64_t *out_invalidated, struct err *err);

/*
 * Validate and store key inside the transaction the caller has open, so
 * that several settings are stored together or not at all. default_region
 * also sets the workspace's region and re-normalises the stored phones, as
 * settings_set_region does; *out_changed receives the number of contacts
 * whose forms changed (0 for other keys). Return 0, SYNC_EINVALID for an
 * invalid value, or SYNC_EDB; the caller rolls back on failure.
 */
int settings_set_in_tx(struct store *s, int64_t workspace_id,
                       const char *key, const char *value,
                       int64_t *out_changed, struct err *err);

/* Store the connect value of every setting the admin has not set. */
int settings_apply_connect_defaults(struct store *s, int64_t workspace_id,
                                    struct err *err);

/* Typed readers; each falls back to the default on a bad stored value. */
bool settings_enabled(struct store *s, int64_t workspace_id);
bool settings_object_enabled(struct store *s, int64_t workspace_id,
                             enum sf_object object);
enum sync_direction settings_direction(struct store *s, int64_t workspace_id);

/*
 * Return the stored value of key in canonical form, or its default when it
 * is unset or no longer valid. key must be a known setting. The caller
 * frees the string.
 */
char *settings_get_normalized(struct store *s, int64_t workspace_id,
                              const char *key);

/* The value of a numeric setting (api_budget_percent, ...), as
 * settings_get_normalized reads it. */
long settings_get_long(struct store *s, int64_t workspace_id, const char *key);

/* The bulk_threshold setting: records above which a full pull uses Bulk
 * API 2.0, 0 for always, or -1 when it is off. */
long settings_bulk_threshold(struct store *s, int64_t workspace_id);

/* Whether the canonical value of key is value. */
bool settings_is(struct store *s, int64_t workspace_id, const char *key,
                 const char *value);

#endif
