/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The SQLite write of phone forms computed again after a change of the
 * workspace's region. It writes no version, change time or outbox entry;
 * store.c computes the forms.
 */
#include "base/common.h"

#include "store_sqlite_int.h"

static const char sql_contact_set_phones[] =
    "UPDATE contacts SET phone_e164 = ?, phone_valid = ?, "
    "mobile_phone_e164 = ?, mobile_phone_valid = ?, search_digits = ? "
    "WHERE workspace_id = ? AND id = ?";

int store_sqlite__contact_set_phones(struct store *base,
                                     const struct contact *c,
                                     const char *digits, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "write phone forms";
    const struct contact_value *phone = &c->values[CONTACT_PHONE];
    const struct contact_value *mobile = &c->values[CONTACT_MOBILE_PHONE];
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_contact_set_phones, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_text(st, 1, phone->e164);
    store_sqlite__bind_int64(st, 2, phone->valid);
    store_sqlite__bind_text(st, 3, mobile->e164);
    store_sqlite__bind_int64(st, 4, mobile->valid);
    store_sqlite__bind_text(st, 5, digits);
    store_sqlite__bind_int64(st, 6, c->workspace_id);
    store_sqlite__bind_int64(st, 7, c->id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}
