/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* The table of country names behind country_region. */
#include "base/common.h"

#include "country.h"

#include <ctype.h>
#include <strings.h>


static const struct {
    const char *name;
    const char *region;
} names[] = {
    {"united states", "US"}, {"united states of america", "US"},
    {"usa", "US"}, {"u.s.a.", "US"}, {"u.s.", "US"}, {"america", "US"},
    {"canada", "CA"}, {"mexico", "MX"}, {"méxico", "MX"},
    {"united kingdom", "GB"}, {"uk", "GB"}, {"u.k.", "GB"},
    {"great britain", "GB"}, {"england", "GB"}, {"scotland", "GB"},
    {"wales", "GB"}, {"northern ireland", "GB"}, {"ireland", "IE"},
    {"germany", "DE"}, {"deutschland", "DE"}, {"france", "FR"},
    {"spain", "ES"}, {"españa", "ES"}, {"portugal", "PT"}, {"italy", "IT"},
    {"italia", "IT"}, {"netherlands", "NL"}, {"the netherlands", "NL"},
    {"nederland", "NL"}, {"holland", "NL"}, {"belgium", "BE"},
    {"belgië", "BE"}, {"belgique", "BE"}, {"luxembourg", "LU"},
    {"switzerland", "CH"}, {"schweiz", "CH"}, {"suisse", "CH"},
    {"svizzera", "CH"}, {"austria", "AT"}, {"österreich", "AT"},
    {"denmark", "DK"}, {"danmark", "DK"}, {"sweden", "SE"},
    {"sverige", "SE"}, {"norway", "NO"}, {"norge", "NO"},
    {"finland", "FI"}, {"suomi", "FI"}, {"iceland", "IS"},
    {"poland", "PL"}, {"polska", "PL"}, {"czech republic", "CZ"},
    {"czechia", "CZ"}, {"česko", "CZ"}, {"hungary", "HU"},
    {"magyarország", "HU"}, {"greece", "GR"}, {"ελλάδα", "GR"},
    {"turkey", "TR"}, {"türkiye", "TR"}, {"russia", "RU"},
    {"россия", "RU"}, {"ukraine", "UA"}, {"україна", "UA"},
    {"romania", "RO"}, {"românia", "RO"}, {"israel", "IL"},
    {"united arab emirates", "AE"}, {"uae", "AE"}, {"saudi arabia", "SA"},
    {"egypt", "EG"}, {"south africa", "ZA"}, {"nigeria", "NG"},
    {"kenya", "KE"}, {"india", "IN"}, {"pakistan", "PK"},
    {"china", "CN"}, {"中国", "CN"}, {"people's republic of china", "CN"},
    {"hong kong", "HK"}, {"taiwan", "TW"}, {"japan", "JP"},
    {"日本", "JP"}, {"south korea", "KR"}, {"korea", "KR"},
    {"대한민국", "KR"}, {"singapore", "SG"}, {"malaysia", "MY"},
    {"indonesia", "ID"}, {"philippines", "PH"}, {"thailand", "TH"},
    {"vietnam", "VN"}, {"viet nam", "VN"}, {"việt nam", "VN"},
    {"australia", "AU"}, {"new zealand", "NZ"}, {"brazil", "BR"},
    {"brasil", "BR"}, {"argentina", "AR"}, {"chile", "CL"},
    {"colombia", "CO"}, {"peru", "PE"}, {"perú", "PE"},
};

int country_region(const char *country, char out[PHONE_REGION_SIZE])
{
    char name[64];
    size_t len;

    if (!country)
        return -1;
    while (isspace((unsigned char)*country))
        country++;
    len = strlen(country);
    while (len > 0 && isspace((unsigned char)country[len - 1]))
        len--;
    if (len == 0 || len >= sizeof(name))
        return -1;
    memcpy(name, country, len);
    name[len] = '\0';
    /* strcasecmp folds ASCII only; the native names are stored in the case
     * they are written in. */
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcasecmp(name, names[i].name) == 0) {
            memcpy(out, names[i].region, PHONE_REGION_SIZE);
            return 0;
        }
    if (len == 2 && isalpha((unsigned char)name[0]) &&
        isalpha((unsigned char)name[1]) && phone_region_supported(name)) {
        out[0] = (char)toupper((unsigned char)name[0]);
        out[1] = (char)toupper((unsigned char)name[1]);
        out[2] = '\0';
        return 0;
    }
    return -1;
}
