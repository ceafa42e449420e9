/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Contact imports from RFC 4180 CSV files. The file is streamed through
 * libcsv, so memory stays bounded by one row whatever the file's size. The
 * first row names the columns (model/contact_csv.h). Every data row is
 * validated as a local change (changes_validate), and the valid ones are
 * written in one store transaction. A row with the email, or an E.164 phone
 * and no other email, last name or first name (changes_find_by_phone), of
 * one contact already stored or of an earlier row of the file, updates
 * that contact (its non-empty cells and true flags) as a local change; a
 * row that matches several contacts is rejected; any other row is inserted
 * as a local contact with its outbox create. Matching imported contacts to
 * Salesforce records is left to the next pull, which links an unlinked
 * contact with the same phone or email instead of creating another.
 */
#ifndef SFSYNC_IMPORT_H
#define SFSYNC_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

struct err;

/* Maximum rejected rows whose line and reason an import keeps. Later ones
 * are only counted, so a file of the wrong kind cannot fill the memory. */
#define IMPORT_REJECTIONS_MAX 10000

/* Maximum bytes of one cell; a longer cell makes the file malformed. The
 * limit is far above every field's maximum length, so only a runaway quoted
 * cell (a missing closing quote) reaches it. */
#define IMPORT_CELL_MAX (1024 * 1024)

/* Maximum columns of a header row. */
#define IMPORT_COLUMNS_MAX 1000

struct import_options {
    bool dry_run;      /* validate every row and write nothing */
    bool skip_invalid; /* import the valid rows even when some are rejected */
    bool ignore_unknown_columns; /* else a column naming no field is an
                                    error */
};

struct import_rejection {
    long long line; /* the line of the file where the row starts, from 1 */
    char *reason;   /* owned; valid UTF-8 */
};

/* A row that gave false for an opt-out (do_not_call, email_opt_out) of a
 * contact that has it true: the import kept it true, since opt-outs are
 * cleared only on purpose. */
struct import_kept_opt_out {
    long long line;           /* where the row starts, from 1 */
    int64_t contact_id;       /* the contact the row matched */
    enum contact_field field; /* CONTACT_DO_NOT_CALL or CONTACT_EMAIL_OPT_OUT */
};

/* A row that changed the stored contact it matched. */
struct import_update {
    long long line;     /* where the row starts, from 1 */
    int64_t contact_id; /* the contact the row matched and changed */
};

struct import_result {
    long long rows;     /* data rows read, not counting the header row */
    long long valid;    /* rows that passed validation */
    long long imported; /* contacts added: 0 on a dry run or a failure */
    long long updated;  /* rows that changed the contact they matched, as
                           imported */
    long long unchanged; /* rows that matched a contact and changed
                            nothing, as imported */
    long long rejected_total; /* rejected rows, kept in rejected or not */
    struct import_rejection *rejected; /* owned: the first ones, in order */
    size_t rejected_count;
    char **unknown_columns; /* owned: header cells naming no field, valid
                               UTF-8 */
    size_t unknown_count;
    /* owned: the first kept opt-outs, in order; on a dry run too */
    struct import_kept_opt_out *kept;
    size_t kept_count;
    long long kept_total; /* kept opt-outs, listed in kept or not */
    /* owned: the first IMPORT_REJECTIONS_MAX rows that changed the contact
     * they matched, in order. A dry run lists the rows that would. */
    struct import_update *updates;
    size_t update_count;
    long long update_total; /* such rows, listed in updates or not */
    /* Every row was read and checked: false when the file or its header
     * row stopped the import early. */
    bool complete;
};

/* Set up an empty result without allocating. */
void import_result_init(struct import_result *r);

/* Free the result's contents; r is left as after import_result_init. */
void import_result_release(struct import_result *r);

/*
 * Import the CSV read from in (borrowed; read to its end, not closed) into
 * the workspace. A UTF-8 byte-order mark at the start is skipped. Quoted
 * cells may contain commas, doubled quotes and line breaks. Lines end
 * in LF, CRLF or CR. Blank lines at the end of the file are ignored; any
 * other blank line is an empty row. Every value then loses the spaces
 * and line breaks around it (changes_clean). A row is rejected for the
 * wrong number of cells, for being empty, for a value that changes_clean
 * or changes_validate rejects, or for matching several contacts.
 *
 * When a row is rejected and opts->skip_invalid is false, nothing is
 * written. A dry run makes every write in a transaction that it rolls
 * back, so its rejections are those of a real import. out (initialised by
 * the caller, old contents freed) receives the counts and rejections
 * whatever the result. Return 0; SYNC_EINVALID
 * for a malformed file (a stray quote, a missing closing quote, a cell
 * over IMPORT_CELL_MAX bytes), a bad header row (an unknown column unless
 * ignored, two columns for one field, no known column, no header), or
 * rejected rows without opts->skip_invalid, or a store transaction that
 * the caller has open, each with err saying which;
 * SYNC_EIO when in cannot be read; SYNC_ENOTFOUND for an unknown
 * workspace; or SYNC_EDB. name is the file's name in messages.
 */
int import_csv(struct store *s, int64_t workspace_id, FILE *in,
               const char *name, const struct import_options *opts,
               struct import_result *out, struct err *err);

#endif
