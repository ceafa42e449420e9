/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The CSV form of contacts for imports: which header names select which
 * contact field, and how the cells of one row become a contact. It reads no
 * file and parses no CSV syntax: sync/import.c parses the file with libcsv
 * and passes the cells of each row to these functions.
 */
#ifndef SFSYNC_CONTACT_CSV_H
#define SFSYNC_CONTACT_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "contact.h"

struct err;

/*
 * One accepted spelling of a header besides the field's own name. Header
 * names are compared after dropping every character that is not an ASCII
 * letter or digit and folding letters to lower case, so "First Name",
 * "FirstName", "first-name" and "FIRST_NAME" are one spelling. A leading
 * "Contact:" or "Lead:", as in Salesforce report exports, is dropped first.
 */
struct contact_csv_alias {
    const char *header;
    enum contact_field field;
};

/* The alias table, in field order. */
extern const struct contact_csv_alias contact_csv_aliases[];
extern const size_t contact_csv_alias_count;

/* The column map that a header row defines. */
struct contact_csv_header {
    size_t count;   /* columns in the header row */
    int *fields;    /* owned: count entries, a field or -1 (ignored) */
    char **unknown; /* owned: header cells that name no field */
    size_t unknown_count;
};

/* Set up an empty header without allocating. */
void contact_csv_header_init(struct contact_csv_header *h);

/* Free the header's arrays; h is left as after contact_csv_header_init. */
void contact_csv_header_release(struct contact_csv_header *h);

/*
 * Return the field that the header cell name selects: a field's own name
 * (contact_fields[]) or an alias, spelled in any of the forms that
 * struct contact_csv_alias describes. Return -1 when it selects none.
 */
int contact_csv_field_by_header(const char *name);

/*
 * Fill h (initialised, old contents freed) from the count cells of a
 * header row, each NUL-terminated. Cells that select no field are listed in
 * h->unknown either way; they are an error unless ignore_unknown, in which
 * case their columns are ignored. Return 0, or SYNC_EINVALID with err
 * naming the first unknown cell, a second cell selecting a field already
 * selected, or a header that selects no field at all.
 */
int contact_csv_header_parse(struct contact_csv_header *h,
                             const char *const *cells, size_t count,
                             bool ignore_unknown, struct err *err);

/*
 * Set the fields of c (initialised by the caller) from the count cells of
 * one data row, where lens[i] is the length of cells[i] in bytes. An empty
 * cell leaves its field empty, or false for a bool field. Return 0, or
 * SYNC_EINVALID with err giving the reason: the row has another number of
 * cells than the header, every cell is empty, a cell contains a NUL byte,
 * or a bool cell is not true/false, yes/no, 1/0 or on/off. The values are
 * not validated: call changes_validate next.
 */
int contact_csv_row_to_contact(const struct contact_csv_header *h,
                               const char *const *cells, const size_t *lens,
                               size_t count, struct contact *c,
                               struct err *err);

/*
 * Return a heap string, freed by the caller, that lists every field's name
 * followed by its aliases in brackets, one field a line, each line
 * starting with indent spaces: the text that help and unknown-column
 * errors show.
 */
char *contact_csv_accepted_columns(int indent);

#endif
