/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Folding a duplicate local contact into the one that survives it, when
 * Salesforce merges the duplicate's record into, or converts its Lead into,
 * a record already linked to another contact. It writes only the store,
 * inside the caller's transaction, and sends nothing.
 */
#ifndef SFSYNC_FOLD_H
#define SFSYNC_FOLD_H

#include <stdint.h>

#include <jansson.h>

#include "store/store.h"

struct err;

/*
 * Move the pending local edits of contact loser_id into contact
 * survivor_id as a local change, so that the push sends them to the
 * survivor's record, and acknowledge the loser's outbox so that nothing
 * of it is sent. An edit is a field whose loser value differs from
 * loser_base, the base of the loser's old link, in fields that flow to
 * Salesforce (to_sf). The survivor takes such a field unless it changed
 * it too since survivor_base; then do_not_call and email_opt_out keep
 * true, and other fields keep the value of the contact changed later.
 * A do_not_call or email_opt_out that is true on the loser becomes true
 * on the survivor whether the loser edited it or not.
 * *out_moved receives the fields moved. The caller archives the loser.
 * Both bases are borrowed and may be NULL. Return 0 or a negative code
 * from the store.
 */
int fold_pending_edits(struct store *s, int64_t workspace_id,
                       int64_t loser_id, const json_t *loser_base,
                       int64_t survivor_id, const json_t *survivor_base,
                       uint32_t to_sf, uint32_t *out_moved, struct err *err);

#endif
