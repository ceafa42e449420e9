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
 * Read key for a workspace: the stored value, or the default. *out is owned
 * by the caller. Return 0 or a negative code.
 */
int settings_get(struct store *s, int64_t workspace_id, const char *key,
                 char **out, struct err *err);

/* Validate and store key. Return 0 or a negative code. */
int settings_set(struct store *s, int64_t workspace_id, const char *key,
                 const char *value, struct err *err);

/* Store the connect value of every setting the admin has not set. */
int settings_apply_connect_defaults(struct store *s, int64_t workspace_id,
                                    struct err *err);

/* Typed readers; each falls back to the default on a bad stored value. */
bool settings_enabled(struct store *s, int64_t workspace_id);
bool settings_object_enabled(struct store *s, int64_t workspace_id,
                             enum sf_object object);
enum sync_direction settings_direction(struct store *s, int64_t workspace_id);

#endif
