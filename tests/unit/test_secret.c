/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of secrets at rest: key parsing, key files and secretbox. */
#include "base/common.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/secret.h"
#include "test.h"

static const char hex_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/* The same 32 bytes in base64, standard and URL-safe without padding. */
static const char base64_key[] =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
static const char base64url_key[] =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    return remove(path);
}

static char *make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *dir = xasprintf("%s/sfsync-secret-XXXXXX", base ? base : "/tmp");

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    return dir;
}

static void remove_tmpdir(char *dir)
{
    nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

TEST(key_parse_forms)
{
    struct secret_key key;

    CHECK_INT(secret_key_parse(&key, hex_key, NULL), 0);
    for (int i = 0; i < SECRET_KEY_SIZE; i++)
        CHECK_INT(key.bytes[i], i);
    memset(&key, 0xff, sizeof(key));
    CHECK_INT(secret_key_parse(&key, base64_key, NULL), 0);
    CHECK_INT(key.bytes[31], 31);
    memset(&key, 0xff, sizeof(key));
    CHECK_INT(secret_key_parse(&key, base64url_key, NULL), 0);
    CHECK_INT(key.bytes[31], 31);
    CHECK_INT(secret_key_parse(&key, "  \n" "000102030405060708090a0b0c0d0e0f"
                                     "101112131415161718191a1b1c1d1e1f\n",
                               NULL),
              0);
}

TEST(key_parse_rejects_bad_text)
{
    static const char *const bad[] = {
        "",
        "0001020304",
        /* 63 hex characters */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",
        /* 64 characters with a non-hex one */
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g",
        /* base64 of 31 bytes */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
        /* base64 of 33 bytes */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",
        "correct horse battery staple",
    };
    struct secret_key key;
    struct err err;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        err_clear(&err);
        CHECK_INT(secret_key_parse(&key, bad[i], &err), SYNC_EINVALID);
        CHECK(strstr(err.msg, "64 hex characters or the base64 of 32 "
                              "bytes") != NULL);
        /* The rejected text never reaches the message. */
        if (bad[i][0])
            CHECK(strstr(err.msg, bad[i]) == NULL);
    }
}

TEST(encrypt_round_trip)
{
    static const char secret[] = "5Aep861..refresh-token";
    unsigned char nonce[SECRET_NONCE_SIZE], nonce2[SECRET_NONCE_SIZE];
    unsigned char *cipher = NULL, *cipher2 = NULL;
    size_t len = 0, len2 = 0, plain_len = 0;
    struct secret_key key;
    char *plain = NULL;

    CHECK_INT(secret_key_parse(&key, hex_key, NULL), 0);
    CHECK_INT(secret_encrypt(&key, secret, strlen(secret), nonce, &cipher,
                             &len, NULL),
              0);
    CHECK_INT(len, strlen(secret) + SECRET_MAC_SIZE);
    CHECK(memmem(cipher, len, "refresh", 7) == NULL);
    CHECK_INT(secret_decrypt(&key, cipher, len, nonce, &plain, &plain_len,
                             NULL),
              0);
    CHECK_STR(plain, secret);
    CHECK_INT(plain_len, strlen(secret));
    secret_free(plain, plain_len);

    /* Each encryption draws a new nonce. */
    CHECK_INT(secret_encrypt(&key, secret, strlen(secret), nonce2, &cipher2,
                             &len2, NULL),
              0);
    CHECK(memcmp(nonce, nonce2, SECRET_NONCE_SIZE) != 0);
    CHECK(memcmp(cipher, cipher2, len) != 0);
    free(cipher);
    free(cipher2);
}

TEST(decrypt_rejects_wrong_key)
{
    unsigned char nonce[SECRET_NONCE_SIZE];
    unsigned char *cipher = NULL;
    size_t len = 0;
    struct secret_key key, other;
    struct err err;
    char *plain = NULL;

    CHECK_INT(secret_key_parse(&key, hex_key, NULL), 0);
    other = key;
    other.bytes[0] ^= 1;
    CHECK_INT(secret_encrypt(&key, "s3cret", 6, nonce, &cipher, &len, NULL),
              0);
    err_clear(&err);
    CHECK_INT(secret_decrypt(&other, cipher, len, nonce, &plain, NULL, &err),
              SYNC_EINVALID);
    CHECK(plain == NULL);
    CHECK(strncmp(err.msg,
                  "cannot decrypt stored credentials: the secret key "
                  "changed",
                  56) == 0);

    /* An altered ciphertext fails the same way. */
    cipher[len - 1] ^= 0x80;
    CHECK_INT(secret_decrypt(&key, cipher, len, nonce, &plain, NULL, NULL),
              SYNC_EINVALID);
    CHECK_INT(secret_decrypt(&key, cipher, 3, nonce, &plain, NULL, NULL),
              SYNC_EINVALID);
    free(cipher);
}

TEST(key_file_created_private)
{
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/store.db.key", dir);
    char text[128] = {0};
    struct secret_key first, second;
    struct stat st;
    int fd;

    unsetenv(SECRET_KEY_ENV);
    /* Without create, a missing key file stays missing. */
    CHECK_INT(secret_key_load(&first, path, false, NULL), SYNC_ENOTFOUND);
    CHECK(access(path, F_OK) != 0);
    CHECK_INT(secret_key_load(&first, path, true, NULL), 0);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_INT(read(fd, text, sizeof(text) - 1), 2 * SECRET_KEY_SIZE + 1);
    close(fd);
    CHECK_INT(text[2 * SECRET_KEY_SIZE], '\n');

    /* Loading again reads the same key instead of making a new one. */
    CHECK_INT(secret_key_load(&second, path, true, NULL), 0);
    CHECK(memcmp(first.bytes, second.bytes, SECRET_KEY_SIZE) == 0);
    /* No temporary file is left beside it. */
    free(path);
    path = xasprintf("%s/store.db.key.%ld.tmp", dir, (long)getpid());
    CHECK(access(path, F_OK) != 0);
    free(path);
    remove_tmpdir(dir);
}

TEST(key_file_open_mode_rejected)
{
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/store.db.key", dir);
    struct secret_key key;
    struct err err;
    int fd;

    unsetenv(SECRET_KEY_ENV);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, hex_key, strlen(hex_key)), (long)strlen(hex_key));
    close(fd);
    CHECK_INT(chmod(path, 0644), 0);

    err_clear(&err);
    CHECK_INT(secret_key_load(&key, path, true, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "readable by group or others") != NULL);
    CHECK(strstr(err.msg, "chmod 600") != NULL);

    CHECK_INT(chmod(path, 0600), 0);
    CHECK_INT(secret_key_load(&key, path, true, NULL), 0);
    CHECK_INT(key.bytes[5], 5);
    free(path);
    remove_tmpdir(dir);
}

TEST(key_file_bad_content_rejected)
{
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/store.db.key", dir);
    struct secret_key key;
    struct err err;
    int fd;

    unsetenv(SECRET_KEY_ENV);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, "not a key\n", 10), 10);
    close(fd);
    err_clear(&err);
    CHECK_INT(secret_key_load(&key, path, true, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "key file '") != NULL);
    free(path);
    remove_tmpdir(dir);
}

TEST(key_env_takes_precedence)
{
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/store.db.key", dir);
    struct secret_key key;
    struct err err;

    setenv(SECRET_KEY_ENV, base64_key, 1);
    CHECK_INT(secret_key_load(&key, path, true, NULL), 0);
    CHECK_INT(key.bytes[17], 17);
    /* With the variable set, no key file is created. */
    CHECK(access(path, F_OK) != 0);

    setenv(SECRET_KEY_ENV, "short", 1);
    err_clear(&err);
    CHECK_INT(secret_key_load(&key, path, true, &err), SYNC_EINVALID);
    CHECK(strncmp(err.msg, SECRET_KEY_ENV ": secret key must be",
                  strlen(SECRET_KEY_ENV) + 20) == 0);
    CHECK(strstr(err.msg, "short") == NULL);

    unsetenv(SECRET_KEY_ENV);
    err_clear(&err);
    CHECK_INT(secret_key_load(&key, NULL, true, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, SECRET_KEY_ENV " is not set") != NULL);
    CHECK(strstr(err.msg, SECRET_KEY_FILE_ENV " to the file") != NULL);
    free(path);
    remove_tmpdir(dir);
}

TEST_MAIN(TEST_ENTRY(key_parse_forms), TEST_ENTRY(key_parse_rejects_bad_text),
          TEST_ENTRY(encrypt_round_trip),
          TEST_ENTRY(decrypt_rejects_wrong_key),
          TEST_ENTRY(key_file_created_private),
          TEST_ENTRY(key_file_open_mode_rejected),
          TEST_ENTRY(key_file_bad_content_rejected),
          TEST_ENTRY(key_env_takes_precedence))
