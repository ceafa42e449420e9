/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Persistence of --state FILE: one SQLite file that keeps the org's
 * records, id counters, users, tokens and API usage across restarts.
 * Records are written through as record.c changes them. Users and tokens
 * are written when their owners call sim_state_save_user or
 * sim_state_save_token, and the whole org again at close. Validation and
 * record layout belong to record.c, not here.
 */
#include "base/common.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/datetime.h"
#include "sim.h"

/* PRAGMA user_version of the layout below; bump it on any change and
 * migrate older files in migrate_schema. */
#define STATE_SCHEMA_VERSION 2

/* Log the first write failure and then one in this many. */
#define STATE_ERROR_LOG_EVERY 1000

static const char schema_sql[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE objects (name TEXT PRIMARY KEY,"
    " id_counter INTEGER NOT NULL);"
    /* Rows are read back in rowid order, which an upsert keeps, so each
     * object's records come back in creation order. */
    "CREATE TABLE records (id TEXT NOT NULL UNIQUE, object TEXT NOT NULL,"
    " fields TEXT NOT NULL, modstamp_ms INTEGER NOT NULL,"
    " deleted_ms INTEGER NOT NULL);"
    "CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL,"
    " password TEXT, first_name TEXT, last_name TEXT, email TEXT,"
    " integration INTEGER NOT NULL, created_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE tokens (value TEXT PRIMARY KEY, user_id TEXT NOT NULL,"
    " refresh INTEGER NOT NULL, revoked INTEGER NOT NULL,"
    " issued_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
    " scope TEXT, client_id TEXT, calls INTEGER NOT NULL, parent TEXT);";

static const char put_record_sql[] =
    "INSERT INTO records (id, object, fields, modstamp_ms, deleted_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET"
    " fields = excluded.fields, modstamp_ms = excluded.modstamp_ms,"
    " deleted_ms = excluded.deleted_ms";

static const char put_user_sql[] =
    "INSERT OR REPLACE INTO users (id, username, password, first_name,"
    " last_name, email, integration, created_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static const char put_token_sql[] =
    "INSERT OR REPLACE INTO tokens (value, user_id, refresh, revoked,"
    " issued_ms, expires_ms, scope, client_id, calls, parent)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

static const char put_counter_sql[] =
    "INSERT OR REPLACE INTO objects (name, id_counter) VALUES (?1, ?2)";

static const char put_meta_sql[] =
    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)";

struct sim_state {
    sqlite3 *db;
    char *path;
    int lock_fd; /* PATH.lock, locked while the file is open; -1 for none */
    bool existed; /* the file was there before this start */
    bool was_empty; /* the file held no records when opened */
    sqlite3_stmt *put_record, *put_user, *put_token, *put_counter, *put_meta;
    struct buf json;       /* scratch for one record's values */
    struct buf key, value; /* scratch for decoding them */
    int64_t write_errors;
};

static struct sim_state *state_of(const struct sim_org *org)
{
    return org ? org->state : NULL;
}

static int db_error(struct err *err, struct sim_state *st, const char *what)
{
    return err_set(err, SYNC_EDB, "state file '%s': %s failed: %s", st->path,
                   what, sqlite3_errmsg(st->db));
}

static int exec_sql(struct sim_state *st, const char *sql, struct err *err)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(err, st, sql);
    return 0;
}

/* Count a failed write-through; the in-memory write has already happened,
 * so the failure is logged rather than returned. */
static void write_failed(struct sim_state *st, const char *what, const char *id)
{
    st->write_errors++;
    if (st->write_errors % STATE_ERROR_LOG_EVERY != 1)
        return;
    log_error("sim", "state file write failed",
              "path=%s what=%s id=%s error=\"%s\" failures=%lld", st->path,
              what, id, sqlite3_errmsg(st->db), (long long)st->write_errors);
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, i);
}

/* Run a bound statement that returns no rows; SQLITE_DONE or an error. */
static int step_reset(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);

    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

/* ---- encoding of record values ---- */

static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/* Append s as a JSON string; runs of plain bytes are copied at once. */
static void put_json_string(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;

    buf_putc(b, '"');
    while (*p) {
        const unsigned char *run = p;
        char esc[7] = {'\\', 'u', '0', '0', 0, 0, '\0'};

        while (*p && !needs_escape(*p))
            p++;
        buf_append(b, run, (size_t)(p - run));
        if (!*p)
            break;
        switch (*p) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        default:
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            buf_puts(b, esc);
        }
        p++;
    }
    buf_putc(b, '"');
}

/* Encode the non-null values of rec as a JSON object keyed by field name. */
static void encode_values(struct buf *b, const struct sim_record *rec)
{
    bool first = true;

    buf_reset(b);
    buf_putc(b, '{');
    for (size_t i = 0; i < rec->nvalues; i++) {
        if (!rec->values[i])
            continue;
        if (!first)
            buf_putc(b, ',');
        first = false;
        put_json_string(b, rec->obj->fields[i]->name);
        buf_putc(b, ':');
        put_json_string(b, rec->values[i]);
    }
    buf_putc(b, '}');
}

/* ---- writing ---- */

static int put_record(struct sim_state *st, const struct sim_record *rec)
{
    sqlite3_stmt *s = st->put_record;

    /* Derived records are rebuilt from the users and the org at start-up. */
    if (rec->obj->derived)
        return 0;
    encode_values(&st->json, rec);
    sqlite3_bind_text(s, 1, rec->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, rec->obj->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, st->json.data, (int)st->json.len, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, rec->modstamp_ms);
    sqlite3_bind_int64(s, 5, rec->deleted_ms);
    return step_reset(s) == SQLITE_DONE ? 0 : -1;
}

static int put_user(struct sim_state *st, const struct sim_user *u)
{
    sqlite3_stmt *s = st->put_user;

    bind_text(s, 1, u->id);
    bind_text(s, 2, u->username);
    bind_text(s, 3, u->password);
    bind_text(s, 4, u->first_name);
    bind_text(s, 5, u->last_name);
    bind_text(s, 6, u->email);
    sqlite3_bind_int(s, 7, u->integration);
    sqlite3_bind_int64(s, 8, u->created_ms);
    return step_reset(s) == SQLITE_DONE ? 0 : -1;
}

static int put_token(struct sim_state *st, const struct sim_token *t)
{
    sqlite3_stmt *s = st->put_token;

    bind_text(s, 1, t->value);
    bind_text(s, 2, t->user ? t->user->id : "");
    sqlite3_bind_int(s, 3, t->refresh);
    sqlite3_bind_int(s, 4, t->revoked);
    sqlite3_bind_int64(s, 5, t->issued_ms);
    sqlite3_bind_int64(s, 6, t->expires_ms);
    bind_text(s, 7, t->scope);
    bind_text(s, 8, t->client_id);
    sqlite3_bind_int64(s, 9, t->calls);
    bind_text(s, 10, t->parent ? t->parent->value : NULL);
    return step_reset(s) == SQLITE_DONE ? 0 : -1;
}

static int put_counter(struct sim_state *st, const struct sim_object *obj)
{
    sqlite3_stmt *s = st->put_counter;

    sqlite3_bind_text(s, 1, obj->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)obj->id_counter);
    return step_reset(s) == SQLITE_DONE ? 0 : -1;
}

static int put_meta(struct sim_state *st, const char *key, const char *value)
{
    sqlite3_stmt *s = st->put_meta;

    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    return step_reset(s) == SQLITE_DONE ? 0 : -1;
}

/* Save the org id, API usage, id counters, users and tokens. Users and
 * tokens are rewritten whole, so ones that oauth.c has dropped disappear. */
static int save_org(struct sim_org *org, struct sim_state *st, struct err *err)
{
    char used[32];

    snprintf(used, sizeof(used), "%lld", (long long)org->api_used);
    if (put_meta(st, "org_id", org->org_id) < 0 ||
        put_meta(st, "api_used", used) < 0)
        return db_error(err, st, "saving the org");
    for (size_t i = 0; i < org->nobjects; i++)
        if (put_counter(st, org->objects[i]) < 0)
            return db_error(err, st, "saving id counters");
    if (exec_sql(st, "DELETE FROM users", err) < 0 ||
        exec_sql(st, "DELETE FROM tokens", err) < 0)
        return err->code;
    for (size_t i = 0; i < org->nusers; i++)
        if (put_user(st, org->users[i]) < 0)
            return db_error(err, st, "saving users");
    for (size_t i = 0; i < org->tokens.cap; i++) {
        struct hmap_slot *slot = &org->tokens.slots[i];

        if (slot->value && put_token(st, slot->value) < 0)
            return db_error(err, st, "saving tokens");
    }
    return 0;
}

static int save_records(struct sim_org *org, struct sim_state *st,
                        struct err *err)
{
    for (size_t i = 0; i < org->nobjects; i++) {
        struct sim_object *obj = org->objects[i];

        for (size_t j = 0; j < obj->nrecords; j++)
            if (put_record(st, obj->records[j]) < 0)
                return db_error(err, st, "saving records");
    }
    return 0;
}

/* ---- opening ---- */

/* Create path with mode 0600 unless it exists, and set *existed. SQLite
 * gives its -wal and -shm files the mode of the database file. */
static int create_file(const char *path, bool *existed, struct err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    struct stat sb;

    *existed = false;
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno != EEXIST)
        return err_set_errno(err, SYNC_EIO, "cannot create state file '%s'",
                             path);
    if (stat(path, &sb) < 0)
        return err_set_errno(err, SYNC_EIO, "cannot read state file '%s'",
                             path);
    if (!S_ISREG(sb.st_mode))
        return err_set(err, SYNC_EINVALID,
                       "state file '%s' is not a regular file; pass the path "
                       "of an sfsim state file or of a new file",
                       path);
    *existed = true;
    return 0;
}

/* Warn when an existing state file, now known to be one, is open to other
 * users. */
static void check_mode(const char *path)
{
    struct stat sb;

    if (stat(path, &sb) == 0 && (sb.st_mode & 077))
        log_warn("sim",
                 "state file is open to other users, but it holds tokens "
                 "and passwords; chmod 600 it",
                 "path=%s mode=%03o", path, (unsigned)(sb.st_mode & 0777));
}

/*
 * Take a write lock on PATH.lock for as long as the state file is open, so
 * that a second sfsim on the same file stops at start-up instead of
 * silently overwriting the first one's writes. A POSIX record lock is
 * used because F_GETLK names the process that holds it.
 */
static int lock_state(struct sim_state *st, struct err *err)
{
    char *lock_path = xasprintf("%s.lock", st->path);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int rc = 0;

    if (fd < 0) {
        rc = err_set_errno(err, SYNC_EIO, "cannot create lock file '%s'",
                           lock_path);
        goto out;
    }
    if (fcntl(fd, F_SETLK, &fl) == 0) {
        st->lock_fd = fd;
        goto out;
    }
    if (errno != EACCES && errno != EAGAIN) {
        rc = err_set_errno(err, SYNC_EIO, "cannot lock '%s'", lock_path);
    } else if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
        rc = err_set(err, SYNC_ECONFLICT,
                     "state file '%s' is in use by another sfsim (process "
                     "%ld); stop that process or pass another --state file",
                     st->path, (long)fl.l_pid);
    } else {
        rc = err_set(err, SYNC_ECONFLICT,
                     "state file '%s' is in use by another sfsim; stop that "
                     "process or pass another --state file",
                     st->path);
    }
    close(fd);
out:
    free(lock_path);
    return rc;
}

static int prepare(struct sim_state *st, const char *sql, sqlite3_stmt **out,
                   struct err *err)
{
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
                           NULL) != SQLITE_OK)
        return db_error(err, st, "preparing a statement");
    return 0;
}

static int prepare_all(struct sim_state *st, struct err *err)
{
    if (prepare(st, put_record_sql, &st->put_record, err) < 0 ||
        prepare(st, put_user_sql, &st->put_user, err) < 0 ||
        prepare(st, put_token_sql, &st->put_token, err) < 0 ||
        prepare(st, put_counter_sql, &st->put_counter, err) < 0 ||
        prepare(st, put_meta_sql, &st->put_meta, err) < 0)
        return err->code;
    return 0;
}

static int query_int(struct sim_state *st, const char *sql, int64_t *out,
                     struct err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_error(err, st, sql);
    rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(err, st, sql);
    return 0;
}

/* Bring a version 1 file to version 2, which keeps each user's CreatedDate
 * (0 for a user saved before, who takes the time of this start). */
static int migrate_schema(struct sim_state *st, struct err *err)
{
    char sql[32];

    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
             STATE_SCHEMA_VERSION);
    if (exec_sql(st, "BEGIN", err) < 0 ||
        exec_sql(st,
                 "ALTER TABLE users ADD COLUMN created_ms INTEGER NOT NULL "
                 "DEFAULT 0",
                 err) < 0 ||
        exec_sql(st, sql, err) < 0 || exec_sql(st, "COMMIT", err) < 0) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return err->code;
    }
    log_info("sim", "state file upgraded", "path=%s version=%d", st->path,
             STATE_SCHEMA_VERSION);
    return 0;
}

/* Check PRAGMA user_version, creating the tables in a file that has none.
 * Set *fresh when the tables were created now. */
static int check_schema(struct sim_state *st, bool *fresh, struct err *err)
{
    int64_t version, tables;
    char sql[32];

    *fresh = false;
    if (query_int(st, "PRAGMA user_version", &version, err) < 0 ||
        query_int(st, "SELECT count(*) FROM sqlite_master", &tables, err) < 0)
        return err->code;
    if (version == STATE_SCHEMA_VERSION)
        return 0;
    if (version == 1)
        return migrate_schema(st, err);
    if (version != 0)
        return err_set(err, SYNC_EINVALID,
                       "state file '%s' has schema version %lld, but this "
                       "sfsim reads version %d; start with a new file",
                       st->path, (long long)version, STATE_SCHEMA_VERSION);
    if (tables != 0)
        return err_set(err, SYNC_EINVALID,
                       "'%s' is an SQLite database but not an sfsim state "
                       "file; pass a new path to --state",
                       st->path);
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
             STATE_SCHEMA_VERSION);
    if (exec_sql(st, "BEGIN", err) < 0 || exec_sql(st, schema_sql, err) < 0 ||
        exec_sql(st, sql, err) < 0 || exec_sql(st, "COMMIT", err) < 0)
        return err->code;
    *fresh = true;
    return 0;
}

static int open_db(struct sim_state *st, struct err *err)
{
    int rc;

    if ((rc = create_file(st->path, &st->existed, err)) < 0 ||
        (rc = lock_state(st, err)) < 0)
        return rc;
    if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE, NULL) !=
        SQLITE_OK) {
        if (!st->db)
            return err_set(err, SYNC_EDB, "cannot open state file '%s'",
                           st->path);
        return db_error(err, st, "opening");
    }
    sqlite3_busy_timeout(st->db, 5000);
    /* WAL with synchronous=NORMAL makes each write-through a cheap
     * append; a crash can lose the last few writes but never corrupts.
     * A 32 MiB page cache (SQLite's default is 2 MiB) keeps a bulk load
     * in one transaction from spilling pages halfway. */
    if (exec_sql(st, "PRAGMA journal_mode = WAL", err) < 0 ||
        exec_sql(st, "PRAGMA synchronous = NORMAL", err) < 0 ||
        exec_sql(st, "PRAGMA cache_size = -32768", err) < 0)
        return err->code;
    return 0;
}

static void state_free(struct sim_state *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->put_record);
    sqlite3_finalize(st->put_user);
    sqlite3_finalize(st->put_token);
    sqlite3_finalize(st->put_counter);
    sqlite3_finalize(st->put_meta);
    if (st->db)
        sqlite3_close(st->db);
    /* After SQLite has closed the database, so no other descriptor of
     * this process is open when the lock goes. */
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    buf_release(&st->json);
    buf_release(&st->key);
    buf_release(&st->value);
    free(st->path);
    free(st);
}

/* ---- loading ---- */

static const char base62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* The counter that sim_id_next encoded in id, or 0 for ids of other
 * shapes. */
static uint64_t id_counter_of(const char *id)
{
    uint64_t n = 0;

    if (strlen(id) != 18 || strncmp(id + 3, "Hn0", 3) != 0)
        return 0;
    for (int i = 6; i < 15; i++) {
        const char *p = strchr(base62, id[i]);

        if (!p || !*p)
            return 0;
        n = n * 62 + (uint64_t)(p - base62);
    }
    return n;
}

static const char *column_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* ---- decoding of record values ---- */

static void put_utf8(struct buf *b, uint32_t cp)
{
    char out[4];
    size_t n;

    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_append(b, out, n);
}

static int read_hex4(const char *p, const char *end, uint32_t *out)
{
    uint32_t v = 0;

    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Decode the \uXXXX escape at *p (past the 'u'), joining a surrogate
 * pair; NUL is rejected because values are C strings. */
static int read_unicode(const char **p, const char *end, struct buf *out)
{
    uint32_t cp, low;

    if (read_hex4(*p, end, &cp) < 0)
        return -1;
    *p += 4;
    if (cp >= 0xd800 && cp < 0xdc00) {
        if (end - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u' ||
            read_hex4(*p + 2, end, &low) < 0 || low < 0xdc00 || low >= 0xe000)
            return -1;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        *p += 6;
    } else if (cp == 0 || (cp >= 0xdc00 && cp < 0xe000)) {
        return -1;
    }
    put_utf8(out, cp);
    return 0;
}

/* Read the JSON string at *p (an opening quote) into out, unescaped, and
 * move *p past its closing quote. Return 0 or -1. */
static int read_string(const char **p, const char *end, struct buf *out)
{
    const char *q = *p;

    buf_reset(out);
    if (q >= end || *q++ != '"')
        return -1;
    while (q < end && *q != '"') {
        const char *run = q;
        char c;

        while (q < end && *q != '"' && *q != '\\')
            q++;
        buf_append(out, run, (size_t)(q - run));
        if (q >= end || *q == '"')
            break;
        if (++q >= end)
            return -1;
        c = *q++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            buf_putc(out, c);
            break;
        case 'b':
            buf_putc(out, '\b');
            break;
        case 'f':
            buf_putc(out, '\f');
            break;
        case 'n':
            buf_putc(out, '\n');
            break;
        case 'r':
            buf_putc(out, '\r');
            break;
        case 't':
            buf_putc(out, '\t');
            break;
        case 'u':
            if (read_unicode(&q, end, out) < 0)
                return -1;
            break;
        default:
            return -1;
        }
    }
    if (q >= end)
        return -1;
    *p = q + 1;
    return 0;
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The field called name. Saved values come in field order, so the field
 * after the previous match is tried before the hash lookup. */
static struct sim_field *next_field(const struct sim_object *obj,
                                    const char *name, size_t *cursor)
{
    struct sim_field *f;

    if (*cursor < obj->nfields &&
        strcmp(obj->fields[*cursor]->name, name) == 0) {
        f = obj->fields[*cursor];
    } else {
        f = sim_object_field(obj, name);
        if (!f)
            return NULL;
    }
    *cursor = f->index + 1;
    return f;
}

/*
 * Copy a saved {"Field":"value",...} object into rec, counting fields the
 * schema lacks now. Values are strings or null, as encode_values writes
 * them. Return 0, or -1 when text is not such an object.
 */
static int decode_values(struct sim_state *st, struct sim_record *rec,
                         const char *text, size_t len, size_t *unknown)
{
    const char *p = text, *end = text + len;
    size_t cursor = 0;
    bool first = true;

    p = skip_space(p, end);
    if (p >= end || *p++ != '{')
        return -1;
    for (;;) {
        struct sim_field *f;

        p = skip_space(p, end);
        if (p < end && *p == '}' && first)
            break;
        if (read_string(&p, end, &st->key) < 0)
            return -1;
        p = skip_space(p, end);
        if (p >= end || *p++ != ':')
            return -1;
        p = skip_space(p, end);
        f = next_field(rec->obj, st->key.data, &cursor);
        if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
            p += 4;
        } else if (read_string(&p, end, &st->value) < 0) {
            return -1;
        } else if (f) {
            sim_record_set(rec, f->index, st->value.data);
        } else {
            (*unknown)++;
        }
        first = false;
        p = skip_space(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}')
            break;
        return -1;
    }
    return skip_space(p + 1, end) == end ? 0 : -1;
}

struct load_stats {
    size_t records, unknown_objects, unknown_fields;
    uint64_t *max_counter; /* per object: the largest counter in its ids */
};

static size_t object_index(const struct sim_org *org,
                           const struct sim_object *obj)
{
    size_t i = 0;

    while (i < org->nobjects && org->objects[i] != obj)
        i++;
    return i;
}

/* Free a record that was never inserted into its object. */
static void free_unlinked_record(struct sim_record *rec)
{
    for (size_t i = 0; i < rec->nvalues; i++)
        free(rec->values[i]);
    free(rec->values);
    free(rec);
}

static int load_record_row(struct sim_org *org, struct sim_state *st,
                           sqlite3_stmt *s, struct load_stats *stats,
                           struct err *err)
{
    const char *id = column_text(s, 0);
    struct sim_object *obj = sim_org_object(org, column_text(s, 1));
    char id18[19];
    struct sim_record *rec;
    uint64_t *counter;

    if (!obj) {
        stats->unknown_objects++;
        return 0;
    }
    if (obj->derived)
        return 0;
    if (!id || sim_id_to18(id, id18) < 0)
        return err_set(err, SYNC_EINVALID,
                       "state file '%s' holds a malformed record id '%s'",
                       st->path, id ? id : "");
    if (hmap_get(&obj->by_id, id18))
        return err_set(err, SYNC_ECONFLICT,
                       "state file '%s' and the org in memory both hold "
                       "record '%s'; do not load data into an org that "
                       "resumes from a state file",
                       st->path, id18);
    rec = sim_record_new(obj);
    memcpy(rec->id, id18, sizeof(rec->id));
    if (decode_values(st, rec, (const char *)sqlite3_column_blob(s, 2),
                      (size_t)sqlite3_column_bytes(s, 2),
                      &stats->unknown_fields) < 0) {
        /* sim_record_new took an id; give it back. */
        obj->id_counter--;
        free_unlinked_record(rec);
        return err_set(err, SYNC_EINVALID,
                       "state file '%s': the values of record '%s' are not "
                       "a JSON object of strings",
                       st->path, id18);
    }
    rec->modstamp_ms = sqlite3_column_int64(s, 3);
    rec->deleted_ms = sqlite3_column_int64(s, 4);
    sim_record_insert(org, rec);
    /* sim_record_new took a fresh id; the counter is set from the saved
     * ids and counters once all records are in. */
    obj->id_counter--;
    counter = &stats->max_counter[object_index(org, obj)];
    if (id_counter_of(id18) > *counter)
        *counter = id_counter_of(id18);
    stats->records++;
    return 0;
}

static int load_records(struct sim_org *org, struct sim_state *st,
                        struct load_stats *stats, struct err *err)
{
    static const char sql[] =
        "SELECT id, object, fields, modstamp_ms, deleted_ms FROM records"
        " ORDER BY rowid";
    sqlite3_stmt *s = NULL;
    int rc = 0, step;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_error(err, st, "reading records");
    while ((step = sqlite3_step(s)) == SQLITE_ROW)
        if ((rc = load_record_row(org, st, s, stats, err)) < 0)
            break;
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_error(err, st, "reading records");
    sqlite3_finalize(s);
    return rc;
}

static int load_counters(struct sim_org *org, struct sim_state *st,
                         struct err *err)
{
    sqlite3_stmt *s = NULL;
    int step;

    if (sqlite3_prepare_v2(st->db, "SELECT name, id_counter FROM objects", -1,
                           &s, NULL) != SQLITE_OK)
        return db_error(err, st, "reading id counters");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct sim_object *obj = sim_org_object(org, column_text(s, 0));
        uint64_t n = (uint64_t)sqlite3_column_int64(s, 1);

        if (obj && n > obj->id_counter)
            obj->id_counter = n;
    }
    sqlite3_finalize(s);
    return step == SQLITE_DONE ? 0 : db_error(err, st, "reading id counters");
}

static void replace_string(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

/* The largest counter among user ids ("005Hn0" and nine decimal digits,
 * as sim_org_add_user makes them). */
static uint64_t max_user_counter(const struct sim_org *org)
{
    uint64_t max = 0;

    for (size_t i = 0; i < org->nusers; i++) {
        const char *digits = org->users[i]->id + 6;
        char *end;
        uint64_t n = strtoull(digits, &end, 10);

        if (end == digits + 9 && n > max)
            max = n;
    }
    return max;
}

static bool user_id_taken(const struct sim_org *org,
                          const struct sim_user *except, const char *id)
{
    for (size_t i = 0; i < org->nusers; i++)
        if (org->users[i] != except && strcmp(org->users[i]->id, id) == 0)
            return true;
    return false;
}

static bool contains_user(struct sim_user *const *users, size_t n,
                          const struct sim_user *u)
{
    for (size_t i = 0; i < n; i++)
        if (users[i] == u)
            return true;
    return false;
}

/* Give users added on this command line ids that no saved user has. */
static void renumber_new_users(struct sim_org *org,
                               struct sim_user *const *restored, size_t n)
{
    for (size_t i = 0; i < org->nusers; i++) {
        struct sim_user *u = org->users[i];
        char id15[16];

        if (contains_user(restored, n, u) || !user_id_taken(org, u, u->id))
            continue;
        snprintf(id15, sizeof(id15), "005Hn0%09llu",
                 (unsigned long long)(max_user_counter(org) + 1));
        sim_id_to18(id15, u->id);
    }
}

/* Restore one saved user; return it, or NULL when its id is malformed. */
static struct sim_user *restore_user(struct sim_org *org, sqlite3_stmt *s)
{
    const char *username = column_text(s, 1);
    struct sim_user *u = sim_org_user_by_name(org, username);
    char id18[19];

    if (sim_id_to18(column_text(s, 0), id18) < 0)
        return NULL;
    if (!u) {
        u = sim_org_add_user(org, username, column_text(s, 2));
        u->integration = sqlite3_column_int(s, 6) != 0;
    }
    memcpy(u->id, id18, sizeof(id18));
    replace_string(&u->first_name, column_text(s, 3));
    replace_string(&u->last_name, column_text(s, 4));
    replace_string(&u->email, column_text(s, 5));
    if (sqlite3_column_int64(s, 7) > 0)
        u->created_ms = sqlite3_column_int64(s, 7);
    return u;
}

/*
 * Restore saved users by username. Users also given on this command line
 * keep its password but take their saved id, because records refer to
 * users by id.
 */
static int load_users(struct sim_org *org, struct sim_state *st,
                      struct err *err)
{
    static const char sql[] =
        "SELECT id, username, password, first_name, last_name, email,"
        " integration, created_ms FROM users ORDER BY rowid";
    sqlite3_stmt *s = NULL;
    struct sim_user **restored = NULL;
    size_t nrestored = 0, restored_cap = 0;
    int step;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_error(err, st, "reading users");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct sim_user *u = restore_user(org, s);

        if (!u)
            continue;
        restored =
            xgrow(restored, &restored_cap, nrestored + 1, sizeof(*restored));
        restored[nrestored++] = u;
    }
    sqlite3_finalize(s);
    if (step == SQLITE_DONE)
        renumber_new_users(org, restored, nrestored);
    free(restored);
    return step == SQLITE_DONE ? 0 : db_error(err, st, "reading users");
}

static void free_token(struct sim_token *t)
{
    free_secret(t->value);
    free(t->scope);
    free(t->client_id);
    free(t);
}

static struct sim_token *token_from_row(struct sim_org *org, sqlite3_stmt *s)
{
    struct sim_user *user = sim_org_user_by_id(org, column_text(s, 1));
    struct sim_token *t;
    int64_t expires = sqlite3_column_int64(s, 5);

    /* Expired access tokens can never be used again, so they are not
     * worth memory. */
    if (!user || (expires && expires <= datetime_now_ms()))
        return NULL;
    t = xcalloc(1, sizeof(*t));
    t->value = xstrdup(column_text(s, 0));
    t->user = user;
    t->refresh = sqlite3_column_int(s, 2) != 0;
    t->revoked = sqlite3_column_int(s, 3) != 0;
    t->issued_ms = sqlite3_column_int64(s, 4);
    t->expires_ms = expires;
    t->scope = xstrdup(column_text(s, 6));
    t->client_id = xstrdup(column_text(s, 7));
    t->calls = sqlite3_column_int64(s, 8);
    return t;
}

/* Load tokens, then link each access token to its refresh token. */
static int load_tokens(struct sim_org *org, struct sim_state *st,
                       struct err *err)
{
    static const char sql[] =
        "SELECT value, user_id, refresh, revoked, issued_ms, expires_ms,"
        " scope, client_id, calls, parent FROM tokens";
    sqlite3_stmt *s = NULL;
    int step;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_error(err, st, "reading tokens");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct sim_token *t = token_from_row(org, s);

        if (!t)
            continue;
        if (hmap_get(&org->tokens, t->value))
            free_token(t);
        else
            hmap_put(&org->tokens, t->value, t);
    }
    if (step != SQLITE_DONE) {
        sqlite3_finalize(s);
        return db_error(err, st, "reading tokens");
    }
    sqlite3_reset(s);
    while (sqlite3_step(s) == SQLITE_ROW) {
        struct sim_token *t = hmap_get(&org->tokens, column_text(s, 0));
        const char *parent = column_text(s, 9);

        if (t && parent)
            t->parent = hmap_get(&org->tokens, parent);
    }
    sqlite3_finalize(s);
    return 0;
}

static int load_meta(struct sim_org *org, struct sim_state *st, struct err *err)
{
    sqlite3_stmt *s = NULL;
    int step;

    if (sqlite3_prepare_v2(st->db, "SELECT key, value FROM meta", -1, &s,
                           NULL) != SQLITE_OK)
        return db_error(err, st, "reading the org");
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *key = column_text(s, 0);
        const char *value = column_text(s, 1);
        char id18[19];

        if (strcmp(key, "org_id") == 0 && sim_id_to18(value, id18) == 0)
            memcpy(org->org_id, id18, sizeof(id18));
        else if (strcmp(key, "api_used") == 0)
            org->api_used = strtoll(value, NULL, 10);
    }
    sqlite3_finalize(s);
    return step == SQLITE_DONE ? 0 : db_error(err, st, "reading the org");
}

/* Load everything from an existing file in one read transaction. */
static int load_all(struct sim_org *org, struct sim_state *st,
                    struct load_stats *stats, struct err *err)
{
    int rc;

    if ((rc = exec_sql(st, "BEGIN", err)) < 0)
        return rc;
    if ((rc = load_meta(org, st, err)) < 0 ||
        (rc = load_users(org, st, err)) < 0 ||
        (rc = load_records(org, st, stats, err)) < 0 ||
        (rc = load_counters(org, st, err)) < 0 ||
        (rc = load_tokens(org, st, err)) < 0) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    /* A crash can leave the saved counters behind the saved ids. */
    for (size_t i = 0; i < org->nobjects; i++)
        if (stats->max_counter[i] > org->objects[i]->id_counter)
            org->objects[i]->id_counter = stats->max_counter[i];
    /* The users and the org id may have taken their saved ids. */
    sim_org_sync_derived(org);
    return exec_sql(st, "COMMIT", err);
}

/* Write what org holds into a file that has no records yet. */
static int save_all(struct sim_org *org, struct sim_state *st, struct err *err)
{
    int rc;

    if ((rc = exec_sql(st, "BEGIN", err)) < 0)
        return rc;
    if ((rc = save_records(org, st, err)) < 0 ||
        (rc = save_org(org, st, err)) < 0) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec_sql(st, "COMMIT", err);
}

static int open_and_load(struct sim_org *org, struct sim_state *st,
                         struct err *err)
{
    struct load_stats stats = {0};
    int64_t start = datetime_now_ms();
    int64_t saved_records = 0;
    bool fresh;
    int rc;

    if ((rc = open_db(st, err)) < 0 ||
        (rc = check_schema(st, &fresh, err)) < 0 ||
        (rc = prepare_all(st, err)) < 0)
        return rc;
    if (st->existed)
        check_mode(st->path);
    stats.max_counter = xcalloc(org->nobjects + 1, sizeof(uint64_t));
    if (!fresh && ((rc = query_int(st, "SELECT count(*) FROM records",
                                   &saved_records, err)) < 0 ||
                   (rc = load_all(org, st, &stats, err)) < 0)) {
        free(stats.max_counter);
        return rc;
    }
    free(stats.max_counter);
    st->was_empty = saved_records == 0;
    if (stats.unknown_objects || stats.unknown_fields)
        log_warn("sim",
                 "state file holds records of objects or fields this "
                 "org lacks; they were not loaded, and unknown fields are "
                 "dropped when their record is next written",
                 "path=%s records=%zu values=%zu", st->path,
                 stats.unknown_objects, stats.unknown_fields);
    if (st->was_empty)
        return save_all(org, st, err);
    log_info("sim", "state file loaded", "path=%s records=%zu ms=%lld",
             st->path, stats.records, (long long)(datetime_now_ms() - start));
    return 0;
}

int sim_state_open(struct sim_org *org, const char *path, struct err *err)
{
    struct sim_state *st;
    int rc;

    if (org->state)
        return err_set(err, SYNC_EINVALID, "a state file is already open");
    st = xcalloc(1, sizeof(*st));
    st->path = xstrdup(path);
    st->lock_fd = -1;
    buf_init(&st->json, 0);
    buf_init(&st->key, 0);
    buf_init(&st->value, 0);
    if ((rc = open_and_load(org, st, err)) < 0) {
        state_free(st);
        return rc;
    }
    org->state = st;
    return 0;
}

bool sim_state_was_empty(const struct sim_org *org)
{
    struct sim_state *st = state_of(org);

    return !st || st->was_empty;
}

void sim_state_save_record(struct sim_org *org, const struct sim_record *rec)
{
    struct sim_state *st = state_of(org);

    if (st && put_record(st, rec) < 0)
        write_failed(st, "record", rec->id);
}

void sim_state_save_token(struct sim_org *org, const struct sim_token *tok)
{
    struct sim_state *st = state_of(org);

    if (st && put_token(st, tok) < 0)
        write_failed(st, "token", tok->user ? tok->user->id : "");
}

void sim_state_save_user(struct sim_org *org, const struct sim_user *user)
{
    struct sim_state *st = state_of(org);

    if (st && put_user(st, user) < 0)
        write_failed(st, "user", user->id);
}

/* The savepoint name is fixed: savepoints nest by name in SQLite, so
 * nested begin and commit pairs still match. */
void sim_state_begin(struct sim_org *org)
{
    struct sim_state *st = state_of(org);

    if (st && sqlite3_exec(st->db, "SAVEPOINT sim_batch", NULL, NULL, NULL) !=
                  SQLITE_OK)
        write_failed(st, "savepoint", "");
}

int sim_state_commit(struct sim_org *org, struct err *err)
{
    struct sim_state *st = state_of(org);

    if (!st)
        return 0;
    return exec_sql(st, "RELEASE sim_batch", err);
}

void sim_state_rollback(struct sim_org *org)
{
    struct sim_state *st = state_of(org);

    if (!st)
        return;
    if (sqlite3_exec(st->db, "ROLLBACK TO sim_batch; RELEASE sim_batch", NULL,
                     NULL, NULL) != SQLITE_OK)
        write_failed(st, "rollback", "");
}

int sim_state_sync(struct sim_org *org, struct err *err)
{
    struct sim_state *st = state_of(org);
    int rc;

    if (!st)
        return 0;
    if ((rc = exec_sql(st, "BEGIN", err)) < 0)
        return rc;
    if ((rc = save_org(org, st, err)) < 0) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec_sql(st, "COMMIT", err);
}

void sim_state_close(struct sim_org *org)
{
    struct sim_state *st = state_of(org);
    struct err err;

    if (!st)
        return;
    if (sim_state_sync(org, &err) < 0)
        log_error("sim", "saving the state file at close failed",
                  "error=\"%s\"", err.msg);
    if (st->write_errors)
        log_error("sim", "state file missed writes", "path=%s failures=%lld",
                  st->path, (long long)st->write_errors);
    org->state = NULL;
    state_free(st);
}
