// SPDX-License-Identifier: MIT
// Copyright (c) 2026 the sfsync authors
//
// The C interface of phone.h over libphonenumber's C++ PhoneNumberUtil. No
// C++ exception leaves this file: each entry point catches them all.
extern "C" {
#include "base/common.h"
}

#include "phone.h"

#include <cctype>
#include <cstdint>
#include <exception>
#include <mutex>
#include <new>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" {
#include "utf8.h"
}

namespace {

// Maximum length of the input quoted in an error message.
const int kQuoteMax = 64;

const PhoneNumberUtil &phone_util()
{
    // GetInstance parses the compiled-in metadata on its first call. A
    // function-local static runs that once, and C++11 makes concurrent first
    // calls wait for it.
    static const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    return *util;
}

// Upper-case a two-letter region code; false when it is not two letters.
bool region_code(const char *region, std::string *out)
{
    if (!region)
        region = PHONE_DEFAULT_REGION;
    if (strlen(region) != 2 || !isalpha((unsigned char)region[0]) ||
        !isalpha((unsigned char)region[1]))
        return false;
    out->assign(1, (char)toupper((unsigned char)region[0]));
    out->push_back((char)toupper((unsigned char)region[1]));
    return true;
}

bool region_known(const std::string &code)
{
    return phone_util().GetCountryCodeForRegion(code) != 0;
}

int parse_error(const char *text, PhoneNumberUtil::ErrorType type,
                struct err *err)
{
    switch (type) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return err_set(err, SYNC_EINVALID,
                       "phone number '%.*s' has an unknown country code",
                       kQuoteMax, text);
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
        return err_set(err, SYNC_EINVALID, "phone number '%.*s' is too short",
                       kQuoteMax, text);
    case PhoneNumberUtil::TOO_LONG_NSN:
        return err_set(err, SYNC_EINVALID, "phone number '%.*s' is too long",
                       kQuoteMax, text);
    default:
        return err_set(err, SYNC_EINVALID, "'%.*s' is not a phone number",
                       kQuoteMax, text);
    }
}

int length_error(const char *text, PhoneNumberUtil::ValidationResult reason,
                 struct err *err)
{
    switch (reason) {
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
        return err_set(err, SYNC_EINVALID,
                       "phone number '%.*s' has no area code; add the area "
                       "code or the country code",
                       kQuoteMax, text);
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
        return err_set(err, SYNC_EINVALID,
                       "phone number '%.*s' has an unknown country code",
                       kQuoteMax, text);
    case PhoneNumberUtil::TOO_SHORT:
        return err_set(err, SYNC_EINVALID, "phone number '%.*s' is too short",
                       kQuoteMax, text);
    case PhoneNumberUtil::TOO_LONG:
        return err_set(err, SYNC_EINVALID, "phone number '%.*s' is too long",
                       kQuoteMax, text);
    default:
        return err_set(err, SYNC_EINVALID,
                       "phone number '%.*s' has a length that no number of "
                       "its country has",
                       kQuoteMax, text);
    }
}

// Return whether number is valid, as IsValidNumber does. IsValidNumber
// first looks for the region of the country code that claims the number,
// which for +1 tries up to 25 regions, so the default region is tried
// first. On libphonenumber 8.12 the two agreed on 409,500 numbers varied
// from the metadata's example numbers of every region.
bool is_valid(const PhoneNumberUtil &util, const PhoneNumber &number,
              const std::string &code)
{
    if (number.country_code() == util.GetCountryCodeForRegion(code) &&
        util.IsValidNumberForRegion(number, code))
        return true;
    return util.IsValidNumber(number);
}

int normalize(const char *text, const char *region, struct phone_number *out,
              struct err *err)
{
    const PhoneNumberUtil &util = phone_util();
    std::string code, e164;
    PhoneNumber number;
    PhoneNumberUtil::ErrorType parsed;
    PhoneNumberUtil::ValidationResult possible;

    if (!region_code(region, &code) || !region_known(code))
        return err_set(err, SYNC_EINVALID,
                       "unknown phone region '%s'; use an ISO 3166 two-letter "
                       "code such as 'US' or 'GB'",
                       region ? region : PHONE_DEFAULT_REGION);
    if (!text || utf8_count(text, NULL) < 0)
        return err_set(err, SYNC_EINVALID,
                       "phone number is not valid UTF-8");

    parsed = util.Parse(text, code, &number);
    if (parsed != PhoneNumberUtil::NO_PARSING_ERROR)
        return parse_error(text, parsed, err);

    // The length check uses only the lengths of the country's numbers, so a
    // number in an area code newer than the metadata still passes it.
    possible = util.IsPossibleNumberWithReason(number);
    if (possible != PhoneNumberUtil::IS_POSSIBLE)
        return length_error(text, possible, err);

    // Format leaves the extension out of the E.164 form.
    util.Format(number, PhoneNumberUtil::E164, &e164);
    if (e164.size() >= sizeof(out->e164))
        return err_set(err, SYNC_EINVALID, "phone number '%.*s' is too long",
                       kQuoteMax, text);
    memcpy(out->e164, e164.c_str(), e164.size() + 1);
    snprintf(out->extension, sizeof(out->extension), "%s",
             number.extension().c_str());
    out->valid = is_valid(util, number, code);
    return 0;
}

// Recent successful normalisations, shared by every thread. A pulled
// record is normalised when it is read and again when the store writes
// it, and a pull may normalise a page in a second thread ahead of the
// writes (apply_prefetch_start). Parse and IsValidNumber cost about 10 and
// 6 microseconds a number (libphonenumber 8.12 with ICU regular
// expressions), against well under one for a lookup here. A hash of text
// and region picks a set of kCacheWays slots, and a new number replaces the
// oldest slot of its set. A page of 2,000 records with two phones each
// fills a quarter of the 16,384 slots (about 1.5 MB). With one slot a set,
// an estimated one number in nine was overwritten by a colliding one
// before the pull's thread read it, so it was normalised twice.
const int kCacheWays = 4;
const int kCacheSets = 4096;
const size_t kCacheTextMax = 48;

struct CacheSlot {
    char text[kCacheTextMax]; // "" for an empty slot
    char region[PHONE_REGION_SIZE];
    uint32_t stored; // cache_clock at the write, to find the oldest slot
    struct phone_number number;
};

CacheSlot cache[kCacheSets][kCacheWays];
uint32_t cache_clock;
std::mutex cache_lock;

CacheSlot *cache_pick_set(const char *text, size_t len,
                          const std::string &code)
{
    // FNV-1a over the text and the region.
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 16777619u;
    for (char ch : code)
        h = (h ^ (unsigned char)ch) * 16777619u;
    return cache[h % kCacheSets];
}

// The slot of set holding text in region code, or NULL. Call with
// cache_lock held.
const CacheSlot *cache_find(const CacheSlot *set, const char *text,
                            const std::string &code)
{
    for (int i = 0; i < kCacheWays; i++)
        if (strcmp(set[i].text, text) == 0 && code == set[i].region)
            return &set[i];
    return NULL;
}

// The slot of set to overwrite: an empty one, else the oldest. Ages are
// differences from cache_clock, so they stay right when the clock wraps.
// Call with cache_lock held.
CacheSlot *cache_pick_victim(CacheSlot *set)
{
    CacheSlot *victim = &set[0];

    for (int i = 0; i < kCacheWays; i++) {
        if (!set[i].text[0])
            return &set[i];
        if (cache_clock - set[i].stored > cache_clock - victim->stored)
            victim = &set[i];
    }
    return victim;
}

int normalize_cached(const char *text, const char *region,
                     struct phone_number *out, struct err *err)
{
    std::string code;
    size_t len = text ? strlen(text) : 0;
    CacheSlot *set, *slot;
    int rc;

    if (!text || len == 0 || len >= kCacheTextMax ||
        !region_code(region, &code))
        return normalize(text, region, out, err);
    set = cache_pick_set(text, len, code);
    {
        std::lock_guard<std::mutex> hold(cache_lock);
        const CacheSlot *hit = cache_find(set, text, code);

        if (hit) {
            *out = hit->number;
            return 0;
        }
    }
    if ((rc = normalize(text, region, out, err)) < 0)
        return rc;
    std::lock_guard<std::mutex> hold(cache_lock);
    // Another thread may have stored the number meanwhile.
    if (cache_find(set, text, code))
        return 0;
    slot = cache_pick_victim(set);
    memcpy(slot->text, text, len + 1);
    memcpy(slot->region, code.c_str(), code.size() + 1);
    slot->stored = cache_clock++;
    slot->number = *out;
    return 0;
}

[[noreturn]] void out_of_memory()
{
    log_error("phone", "out of memory in libphonenumber", NULL);
    abort();
}

} // namespace

extern "C" void phone_init(void)
{
    try {
        (void)phone_util();
    } catch (const std::bad_alloc &) {
        out_of_memory();
    } catch (...) {
        // The next call retries the load and reports the failure.
    }
}

extern "C" bool phone_region_supported(const char *region)
{
    std::string code;

    try {
        return region && region_code(region, &code) && region_known(code);
    } catch (const std::bad_alloc &) {
        out_of_memory();
    } catch (...) {
        return false;
    }
}

extern "C" int phone_normalize(const char *text, const char *region,
                               struct phone_number *out, struct err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    try {
        rc = normalize_cached(text, region, out, err);
    } catch (const std::bad_alloc &) {
        out_of_memory();
    } catch (const std::exception &e) {
        rc = err_set(err, SYNC_EINVALID,
                     "libphonenumber failed on a phone number: %s", e.what());
    } catch (...) {
        rc = err_set(err, SYNC_EINVALID,
                     "libphonenumber failed on a phone number");
    }
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}
