/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Workspace names and the removal of a workspace with all its rows. */
#include "base/common.h"

#include <ctype.h>

#include "store_int.h"

const char *const store__workspace_tables[STORE_WORKSPACE_TABLES] = {
    "oauth_attempts", "sessions",    "api_tokens", "users",
    "conflicts",      "sync_errors", "outbox",     "links",
    "create_intents", "tombstones",  "runs",       "cursors",
    "credentials",    "settings",    "locks",      "leases",
    "contacts",       "workspaces",
};

static bool is_name_char(unsigned char c)
{
    return isascii(c) && (isalnum(c) || c == '.' || c == '_' || c == '-');
}

int store_workspace_check_name(const char *name, struct err *err)
{
    size_t len = name ? strlen(name) : 0;
    bool ok = len > 0 && len <= STORE_WORKSPACE_NAME_MAX &&
              isascii((unsigned char)name[0]) &&
              isalnum((unsigned char)name[0]);

    for (size_t i = 0; ok && i < len; i++)
        ok = is_name_char((unsigned char)name[i]);
    if (ok)
        return 0;
    return err_set(err, SYNC_EINVALID,
                   "invalid workspace name '%.80s': use 1 to %d ASCII "
                   "letters, digits, '.', '_' and '-', starting with a "
                   "letter or digit",
                   name ? name : "", STORE_WORKSPACE_NAME_MAX);
}

int store_workspace_delete(struct store *s, int64_t workspace_id,
                           struct store_table_count
                               counts[STORE_WORKSPACE_TABLES],
                           struct err *err)
{
    for (size_t i = 0; i < STORE_WORKSPACE_TABLES; i++) {
        counts[i].table = store__workspace_tables[i];
        counts[i].rows = 0;
    }
    if (workspace_id <= 0)
        return err_set(err, SYNC_ENOTFOUND, "workspace %lld not found",
                       (long long)workspace_id);
    return s->ops->workspace_delete(s, workspace_id, counts, err);
}
