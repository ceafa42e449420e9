/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of sfsim's OAuth helpers: base64url, PKCE, Basic credentials,
 * JWT parsing and RS256 verification with keys made here by OpenSSL.
 */
#include "base/common.h"

#include "oauth.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "test.h"

static char *encode_text(const char *s)
{
    return sim_jwt_b64url_encode((const unsigned char *)s, strlen(s));
}

TEST(b64url_encode_rfc4648_vectors)
{
    static const char *const cases[][2] = {
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *out = encode_text(cases[i][0]);

        CHECK_STR(out, cases[i][1]);
        free(out);
    }
}

TEST(b64url_encode_uses_url_alphabet)
{
    static const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
    char *out = sim_jwt_b64url_encode(bytes, sizeof(bytes));

    /* Standard base64 would be "+/+/". */
    CHECK_STR(out, "-_-_");
    free(out);
}

TEST(b64url_decode_round_trip)
{
    static const char *const texts[] = {"",     "f",     "fo",    "foo",
                                        "foob", "fooba", "foobar"};

    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        char *enc = encode_text(texts[i]);
        size_t len = 99;
        unsigned char *dec = sim_jwt_b64url_decode(enc, strlen(enc), &len);

        CHECK(dec != NULL);
        CHECK_INT(len, strlen(texts[i]));
        if (dec)
            CHECK_STR((char *)dec, texts[i]);
        free(dec);
        free(enc);
    }
}

TEST(b64url_decode_accepts_padding)
{
    size_t len = 0;
    unsigned char *dec = sim_jwt_b64url_decode("Zm8=", 4, &len);

    CHECK(dec != NULL);
    CHECK_INT(len, 2);
    if (dec)
        CHECK_STR((char *)dec, "fo");
    free(dec);
}

TEST(b64url_decode_rejects_bad_input)
{
    size_t len;

    /* '+' and '/' belong to standard base64, not base64url. */
    CHECK(sim_jwt_b64url_decode("Zm+v", 4, &len) == NULL);
    CHECK(sim_jwt_b64url_decode("Zm/v", 4, &len) == NULL);
    CHECK(sim_jwt_b64url_decode("Zm 9", 4, &len) == NULL);
    /* No base64 text has a length of 4n+1. */
    CHECK(sim_jwt_b64url_decode("Zm9vY", 5, &len) == NULL);
}

TEST(pkce_challenge_rfc7636_example)
{
    char challenge[SIM_OAUTH_CHALLENGE_LEN + 1];

    /* The verifier and challenge of RFC 7636 appendix B. */
    sim_oauth_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                             challenge);
    CHECK_STR(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(pkce_verifier_form)
{
    char text[130];

    memset(text, 'a', sizeof(text));
    text[42] = '\0';
    CHECK(!sim_oauth_verifier_valid(text));
    text[42] = 'a';
    text[43] = '\0';
    CHECK(sim_oauth_verifier_valid(text));
    text[43] = 'a';
    text[128] = '\0';
    CHECK(sim_oauth_verifier_valid(text));
    text[128] = 'a';
    text[129] = '\0';
    CHECK(!sim_oauth_verifier_valid(text));

    text[43] = '\0';
    text[0] = '~';
    text[1] = '-';
    text[2] = '.';
    text[3] = '_';
    CHECK(sim_oauth_verifier_valid(text));
    text[4] = '+';
    CHECK(!sim_oauth_verifier_valid(text));
}

TEST(basic_credentials_split)
{
    char *id = NULL, *secret = NULL;

    /* base64("my-client:s3cr:et") */
    CHECK_INT(
        sim_oauth_parse_basic("Basic bXktY2xpZW50OnMzY3I6ZXQ=", &id, &secret),
        0);
    CHECK_STR(id, "my-client");
    CHECK_STR(secret, "s3cr:et");
    free(id);
    free(secret);

    /* The scheme is case-insensitive, and base64("a:") has no secret. */
    CHECK_INT(sim_oauth_parse_basic("basic YTo=", &id, &secret), 0);
    CHECK_STR(id, "a");
    CHECK_STR(secret, "");
    free(id);
    free(secret);
}

TEST(basic_credentials_rejected)
{
    char *id, *secret;

    CHECK_INT(sim_oauth_parse_basic(NULL, &id, &secret), -1);
    CHECK_INT(sim_oauth_parse_basic("Bearer abc", &id, &secret), -1);
    /* base64("nocolon") */
    CHECK_INT(sim_oauth_parse_basic("Basic bm9jb2xvbg==", &id, &secret), -1);
    CHECK_INT(sim_oauth_parse_basic("Basic !!!!", &id, &secret), -1);
    CHECK_INT(sim_oauth_parse_basic("Basic abc", &id, &secret), -1);
    CHECK(id == NULL);
    CHECK(secret == NULL);
}

/* Build "b64url(header).b64url(claims)" for the JWT tests. */
static char *signing_input(const char *header, const char *claims)
{
    char *h = encode_text(header);
    char *c = encode_text(claims);
    char *out = xasprintf("%s.%s", h, c);

    free(h);
    free(c);
    return out;
}

/* Sign input with key using RS256 and return the whole JWT. */
static char *sign_jwt(EVP_PKEY *key, const char *input)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    char *sig_text, *jwt;

    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)input,
                       strlen(input)) != 1)
        BUG("RS256 signing failed in the test");
    EVP_MD_CTX_free(md);
    sig_text = sim_jwt_b64url_encode(sig, sig_len);
    jwt = xasprintf("%s.%s", input, sig_text);
    free(sig_text);
    return jwt;
}

static char *bio_text(BIO *bio)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *out = xstrndup(data, (size_t)len);

    BIO_free(bio);
    return out;
}

/* The SubjectPublicKeyInfo PEM ("PUBLIC KEY") of key. */
static char *public_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());

    PEM_write_bio_PUBKEY(bio, key);
    return bio_text(bio);
}

/* The PKCS#1 PEM ("RSA PUBLIC KEY") of an RSA key. */
static char *pkcs1_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(
        key, EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);

    if (!ctx || OSSL_ENCODER_to_bio(ctx, bio) != 1)
        BUG("PKCS#1 encoding failed in the test");
    OSSL_ENCODER_CTX_free(ctx);
    return bio_text(bio);
}

/* A self-signed certificate PEM for key, as uploaded to a connected app. */
static char *certificate_pem(EVP_PKEY *key)
{
    X509 *cert = X509_new();
    X509_NAME *name;
    BIO *bio = BIO_new(BIO_s_mem());

    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"sfsim test", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    if (X509_sign(cert, key, EVP_sha256()) == 0)
        BUG("certificate signing failed in the test");
    PEM_write_bio_X509(bio, cert);
    X509_free(cert);
    return bio_text(bio);
}

static const char rs256_header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
static const char claims_text[] =
    "{\"iss\":\"client\",\"sub\":\"u@example.com\","
    "\"aud\":\"https://login.salesforce.com\",\"exp\":1700000000}";

/* Parse jwt_text and return the result of verifying it with pem. */
static int parse_and_verify(const char *jwt_text, const char *pem)
{
    struct sim_jwt jwt;
    struct err err;
    int rc;

    if (sim_jwt_parse(&jwt, jwt_text, &err) < 0)
        return -100;
    rc = sim_jwt_verify_rs256(&jwt, pem, &err);
    sim_jwt_release(&jwt);
    return rc;
}

TEST(jwt_parse_splits_parts)
{
    char *input = signing_input(rs256_header, claims_text);
    char *text = xasprintf("%s.c2ln", input);
    struct sim_jwt jwt;
    struct err err;

    CHECK_INT(sim_jwt_parse(&jwt, text, &err), 0);
    CHECK_STR(json_string_value(json_object_get(jwt.header, "alg")), "RS256");
    CHECK_STR(json_string_value(json_object_get(jwt.claims, "sub")),
              "u@example.com");
    CHECK_INT(json_integer_value(json_object_get(jwt.claims, "exp")),
              1700000000);
    CHECK_STR(jwt.signing_input, input);
    CHECK_INT(jwt.signature_len, 3);
    CHECK(memcmp(jwt.signature, "sig", 3) == 0);
    sim_jwt_release(&jwt);
    CHECK(jwt.header == NULL);
    free(text);
    free(input);
}

TEST(jwt_parse_rejects_malformed)
{
    char *input = signing_input(rs256_header, claims_text);
    char *not_json = signing_input("not json", claims_text);
    char *array_claims = signing_input(rs256_header, "[1,2]");
    char *four = xasprintf("%s.c2ln.c2ln", input);
    char *bad_sig = xasprintf("%s.c2l+", input);
    char *bad_header = xasprintf("%s.c2ln", not_json);
    char *bad_claims = xasprintf("%s.c2ln", array_claims);
    const char *cases[] = {input,      four, bad_sig, bad_header,
                           bad_claims, "",   "a.b"};
    struct sim_jwt jwt;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err err;

        err_clear(&err);
        CHECK_INT(sim_jwt_parse(&jwt, cases[i], &err), SYNC_EINVALID);
        CHECK(err.msg[0] != '\0');
        CHECK(jwt.header == NULL);
        CHECK(jwt.claims == NULL);
    }
    free(bad_claims);
    free(bad_header);
    free(bad_sig);
    free(four);
    free(array_claims);
    free(not_json);
    free(input);
}

TEST(rs256_verifies_with_public_key_forms)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    char *input = signing_input(rs256_header, claims_text);
    char *jwt = sign_jwt(key, input);
    char *spki = public_pem(key);
    char *pkcs1 = pkcs1_pem(key);
    char *cert = certificate_pem(key);

    CHECK(strstr(spki, "BEGIN PUBLIC KEY") != NULL);
    CHECK(strstr(pkcs1, "BEGIN RSA PUBLIC KEY") != NULL);
    CHECK(strstr(cert, "BEGIN CERTIFICATE") != NULL);
    CHECK_INT(parse_and_verify(jwt, spki), 0);
    CHECK_INT(parse_and_verify(jwt, pkcs1), 0);
    CHECK_INT(parse_and_verify(jwt, cert), 0);
    free(cert);
    free(pkcs1);
    free(spki);
    free(jwt);
    free(input);
    EVP_PKEY_free(key);
}

TEST(rs256_rejects_tampered_claims)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    char *input = signing_input(rs256_header, claims_text);
    char *jwt = sign_jwt(key, input);
    char *pem = public_pem(key);
    char *other_claims =
        signing_input(rs256_header, "{\"sub\":\"admin@example.com\"}");
    const char *sig = strrchr(jwt, '.');
    char *forged = xasprintf("%s%s", other_claims, sig);

    CHECK_INT(parse_and_verify(forged, pem), SYNC_EINVALID);
    free(forged);
    free(other_claims);
    free(pem);
    free(jwt);
    free(input);
    EVP_PKEY_free(key);
}

TEST(rs256_rejects_other_key)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    EVP_PKEY *other = EVP_RSA_gen(2048);
    char *input = signing_input(rs256_header, claims_text);
    char *jwt = sign_jwt(key, input);
    char *other_pem = public_pem(other);

    CHECK_INT(parse_and_verify(jwt, other_pem), SYNC_EINVALID);
    free(other_pem);
    free(jwt);
    free(input);
    EVP_PKEY_free(other);
    EVP_PKEY_free(key);
}

TEST(rs256_rejects_other_algorithms)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    char *pem = public_pem(key);
    static const char *const headers[] = {
        "{\"alg\":\"HS256\"}",
        "{\"alg\":\"none\"}",
        "{\"alg\":\"RS512\"}",
        "{\"typ\":\"JWT\"}",
    };

    for (size_t i = 0; i < ARRAY_SIZE(headers); i++) {
        /* Signed correctly with RSA-SHA256, but the header claims another
         * algorithm, so the check must stop at the header. */
        char *input = signing_input(headers[i], claims_text);
        char *jwt = sign_jwt(key, input);

        CHECK_INT(parse_and_verify(jwt, pem), SYNC_EINVALID);
        free(jwt);
        free(input);
    }
    free(pem);
    EVP_PKEY_free(key);
}

TEST(rs256_rejects_unusable_keys)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    char *input = signing_input(rs256_header, claims_text);
    char *jwt = sign_jwt(key, input);
    char *ec_pem = public_pem(ec);

    CHECK_INT(parse_and_verify(jwt, "not a PEM block"), SYNC_EINVALID);
    CHECK_INT(parse_and_verify(jwt, ""), SYNC_EINVALID);
    CHECK_INT(parse_and_verify(jwt, ec_pem), SYNC_EINVALID);
    free(ec_pem);
    free(jwt);
    free(input);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(key);
}

TEST_MAIN(TEST_ENTRY(b64url_encode_rfc4648_vectors),
          TEST_ENTRY(b64url_encode_uses_url_alphabet),
          TEST_ENTRY(b64url_decode_round_trip),
          TEST_ENTRY(b64url_decode_accepts_padding),
          TEST_ENTRY(b64url_decode_rejects_bad_input),
          TEST_ENTRY(pkce_challenge_rfc7636_example),
          TEST_ENTRY(pkce_verifier_form), TEST_ENTRY(basic_credentials_split),
          TEST_ENTRY(basic_credentials_rejected),
          TEST_ENTRY(jwt_parse_splits_parts),
          TEST_ENTRY(jwt_parse_rejects_malformed),
          TEST_ENTRY(rs256_verifies_with_public_key_forms),
          TEST_ENTRY(rs256_rejects_tampered_claims),
          TEST_ENTRY(rs256_rejects_other_key),
          TEST_ENTRY(rs256_rejects_other_algorithms),
          TEST_ENTRY(rs256_rejects_unusable_keys))
