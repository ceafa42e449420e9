/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The secret key and crypto_secretbox encryption of stored credentials.
 * Every buffer that held a key or a plaintext is zeroed before it is freed.
 */
#include "base/common.h"

#include "secret.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(SECRET_KEY_SIZE == crypto_secretbox_KEYBYTES, "key size");
_Static_assert(SECRET_NONCE_SIZE == crypto_secretbox_NONCEBYTES,
               "nonce size");
_Static_assert(SECRET_MAC_SIZE == crypto_secretbox_MACBYTES, "MAC size");

/* A key file contains 64 hex characters and a newline, so anything much
 * longer is not a key file. */
#define KEY_FILE_MAX 256

static int sodium_ready(struct err *err)
{
    /* sodium_init returns 1 when an earlier call already succeeded. */
    if (sodium_init() < 0)
        return err_set(err, SYNC_EIO, "libsodium failed to initialise");
    return 0;
}

static int parse_hex(struct secret_key *out, const char *text, size_t len)
{
    const char *end;
    size_t bin_len;

    if (len != 2 * SECRET_KEY_SIZE)
        return -1;
    if (sodium_hex2bin(out->bytes, sizeof(out->bytes), text, len, NULL,
                       &bin_len, &end) != 0)
        return -1;
    return bin_len == SECRET_KEY_SIZE && end == text + len ? 0 : -1;
}

static int parse_base64(struct secret_key *out, const char *text, size_t len)
{
    static const int variants[] = {
        sodium_base64_VARIANT_ORIGINAL,
        sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
        sodium_base64_VARIANT_URLSAFE,
        sodium_base64_VARIANT_URLSAFE_NO_PADDING,
    };

    for (size_t i = 0; i < ARRAY_SIZE(variants); i++) {
        const char *end;
        size_t bin_len;

        /* A buffer of exactly 32 bytes makes longer keys fail to decode. */
        if (sodium_base642bin(out->bytes, sizeof(out->bytes), text, len, NULL,
                              &bin_len, &end, variants[i]) != 0)
            continue;
        if (bin_len == SECRET_KEY_SIZE && end == text + len)
            return 0;
    }
    return -1;
}

int secret_key_parse(struct secret_key *out, const char *text,
                     struct err *err)
{
    size_t len;
    int rc;

    if ((rc = sodium_ready(err)) < 0)
        return rc;
    if (!text)
        text = "";
    while (isspace((unsigned char)*text))
        text++;
    len = strlen(text);
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    if (parse_hex(out, text, len) == 0 || parse_base64(out, text, len) == 0)
        return 0;
    sodium_memzero(out, sizeof(*out));
    return err_set(err, SYNC_EINVALID,
                   "secret key must be 64 hex characters or the base64 of 32 "
                   "bytes; generate one with 'openssl rand -hex 32'");
}

void secret_key_wipe(struct secret_key *key)
{
    sodium_memzero(key, sizeof(*key));
}

/* Read the key from an open key file, checking its mode first. */
static int read_key_file(struct secret_key *out, int fd, const char *path,
                         struct err *err)
{
    char text[KEY_FILE_MAX + 1];
    struct stat st;
    ssize_t n;
    size_t len = 0;
    int rc = 0;

    if (fstat(fd, &st) < 0)
        return err_set_errno(err, SYNC_EIO, "cannot stat key file '%s'",
                             path);
    if (!S_ISREG(st.st_mode))
        return err_set(err, SYNC_EINVALID,
                       "key file '%s' is not a regular file", path);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return err_set(err, SYNC_EINVALID,
                       "key file '%s' is readable by group or others (mode "
                       "%03o); run 'chmod 600 %s'",
                       path, (unsigned)(st.st_mode & 0777), path);
    while (len < KEY_FILE_MAX &&
           (n = read(fd, text + len, KEY_FILE_MAX - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = err_set_errno(err, SYNC_EIO, "cannot read key file '%s'",
                               path);
            goto out;
        }
        len += (size_t)n;
    }
    text[len] = '\0';
    if ((rc = secret_key_parse(out, text, err)) < 0)
        err_prefix(err, "key file '%s'", path);
out:
    sodium_memzero(text, sizeof(text));
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Make the new directory entry of path durable. */
static int sync_parent_dir(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = -1;

    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    free(copy);
    return rc;
}

/*
 * Write a new random key to a temporary file, created with O_EXCL and mode
 * 0600, then link it to path. link() fails with EEXIST when another process
 * created the key file first, and then that process's key is the one to use,
 * so two processes never end up with different keys.
 */
static int create_key_file(struct secret_key *out, const char *path,
                           struct err *err)
{
    char hex[2 * SECRET_KEY_SIZE + 2];
    char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
    int fd = -1, rc = 0;

    randombytes_buf(out->bytes, sizeof(out->bytes));
    sodium_bin2hex(hex, sizeof(hex), out->bytes, sizeof(out->bytes));
    hex[2 * SECRET_KEY_SIZE] = '\n';
    hex[2 * SECRET_KEY_SIZE + 1] = '\0';

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        /* Left by a crashed process with our pid: no one else uses it. */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd < 0) {
        rc = err_set_errno(err, SYNC_EIO, "cannot create key file '%s'",
                           tmp);
        goto out;
    }
    if (write_all(fd, hex, strlen(hex)) < 0 || fsync(fd) < 0) {
        rc = err_set_errno(err, SYNC_EIO, "cannot write key file '%s'", tmp);
        goto out;
    }
    if (link(tmp, path) < 0) {
        rc = errno == EEXIST ? 1
                             : err_set_errno(err, SYNC_EIO,
                                             "cannot create key file '%s'",
                                             path);
        goto out;
    }
    if (sync_parent_dir(path) < 0)
        rc = err_set_errno(err, SYNC_EIO, "cannot sync the directory of '%s'",
                           path);
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    sodium_memzero(hex, sizeof(hex));
    if (rc != 0)
        secret_key_wipe(out);
    return rc;
}

/* Open path and read its key; *missing is set when it does not exist. */
static int open_key_file(struct secret_key *out, const char *path,
                         bool *missing, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc;

    *missing = false;
    if (fd < 0 && errno == ENOENT) {
        *missing = true;
        return 0;
    }
    if (fd < 0)
        return err_set_errno(err, SYNC_EIO, "cannot open key file '%s'",
                             path);
    rc = read_key_file(out, fd, path, err);
    close(fd);
    return rc;
}

int secret_key_load(struct secret_key *out, const char *key_path,
                    bool create, struct err *err)
{
    const char *env = getenv(SECRET_KEY_ENV);
    bool missing;
    int rc;

    if ((rc = sodium_ready(err)) < 0)
        return rc;
    if (env && *env) {
        if ((rc = secret_key_parse(out, env, err)) < 0)
            err_prefix(err, "%s", SECRET_KEY_ENV);
        return rc;
    }
    if (!key_path)
        return err_set(err, SYNC_EINVALID,
                       "%s is not set and this store has no key file; set "
                       "%s to the credentials key (64 hex characters or "
                       "base64) or %s to the file that contains it",
                       SECRET_KEY_ENV, SECRET_KEY_ENV, SECRET_KEY_FILE_ENV);
    if ((rc = open_key_file(out, key_path, &missing, err)) < 0 || !missing)
        return rc;
    if (!create)
        return err_set(err, SYNC_ENOTFOUND, "key file '%s' does not exist",
                       key_path);
    rc = create_key_file(out, key_path, err);
    if (rc <= 0)
        return rc;
    /* Another process created the key file first: use its key. */
    if ((rc = open_key_file(out, key_path, &missing, err)) < 0)
        return rc;
    if (missing)
        return err_set(err, SYNC_EIO,
                       "key file '%s' disappeared while it was created",
                       key_path);
    return 0;
}

int secret_encrypt(const struct secret_key *key, const void *plain,
                   size_t len, unsigned char nonce[SECRET_NONCE_SIZE],
                   unsigned char **out_cipher, size_t *out_len,
                   struct err *err)
{
    unsigned char *cipher;
    int rc;

    *out_cipher = NULL;
    *out_len = 0;
    if ((rc = sodium_ready(err)) < 0)
        return rc;
    /* A random 24-byte nonce makes a repeat negligible, so no counter has
     * to be stored. */
    randombytes_buf(nonce, SECRET_NONCE_SIZE);
    cipher = xmalloc(len + SECRET_MAC_SIZE);
    crypto_secretbox_easy(cipher, plain, len, nonce, key->bytes);
    *out_cipher = cipher;
    *out_len = len + SECRET_MAC_SIZE;
    return 0;
}

int secret_decrypt(const struct secret_key *key, const unsigned char *cipher,
                   size_t len, const unsigned char nonce[SECRET_NONCE_SIZE],
                   char **out_plain, size_t *out_len, struct err *err)
{
    char *plain;
    size_t plain_len;
    int rc;

    *out_plain = NULL;
    if (out_len)
        *out_len = 0;
    if ((rc = sodium_ready(err)) < 0)
        return rc;
    if (len < SECRET_MAC_SIZE)
        return err_set(err, SYNC_EINVALID,
                       "cannot decrypt stored credentials: the ciphertext is "
                       "truncated; store the credentials again");
    plain_len = len - SECRET_MAC_SIZE;
    plain = xmalloc(plain_len + 1);
    if (crypto_secretbox_open_easy((unsigned char *)plain, cipher, len, nonce,
                                   key->bytes) != 0) {
        secret_free(plain, plain_len + 1);
        return err_set(err, SYNC_EINVALID,
                       "cannot decrypt stored credentials: the secret key "
                       "changed; set %s to the key they were stored with "
                       "(or %s to its file, for a PostgreSQL store), or "
                       "run 'sfsync connect' again",
                       SECRET_KEY_ENV, SECRET_KEY_FILE_ENV);
    }
    plain[plain_len] = '\0';
    *out_plain = plain;
    if (out_len)
        *out_len = plain_len;
    return 0;
}

void secret_free(char *plain, size_t len)
{
    if (!plain)
        return;
    sodium_memzero(plain, len);
    free(plain);
}
