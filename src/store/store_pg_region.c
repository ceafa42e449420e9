/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The PostgreSQL write of phone forms computed again after a change of the
 * workspace's region. It writes no version, change time or outbox entry;
 * store.c computes the forms.
 */
#include "base/common.h"

#include "store_pg_int.h"

static const char sql_contact_set_phones[] =
    "UPDATE contacts SET phone_e164 = $1, phone_valid = $2, "
    "mobile_phone_e164 = $3, mobile_phone_valid = $4, search_digits = $5 "
    "WHERE workspace_id = $6 AND id = $7";

int store_pg__contact_set_phones(struct store *base, const struct contact *c,
                                 const char *digits, struct err *err)
{
    const struct contact_value *phone = &c->values[CONTACT_PHONE];
    const struct contact_value *mobile = &c->values[CONTACT_MOBILE_PHONE];
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_text(&p, phone->e164);
    store_pg__param_bool(&p, phone->valid);
    store_pg__param_text(&p, mobile->e164);
    store_pg__param_bool(&p, mobile->valid);
    store_pg__param_text(&p, digits);
    store_pg__param_int64(&p, c->workspace_id);
    store_pg__param_int64(&p, c->id);
    return store_pg__run_command(store_pg__from(base), sql_contact_set_phones,
                                 &p, "write phone forms", err);
}
