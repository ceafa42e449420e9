/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A deterministic generator of realistic Accounts, Contacts and Leads for
 * tests and benchmarks. Records are built field by field and inserted
 * without JSON validation, so that a million Contacts load in seconds.
 * The values follow the storage rules of record.c's writes.
 */
#include "base/common.h"

#include <errno.h>
#include <strings.h>

#include "base/datetime.h"
#include "sim.h"

/* Upper bound of one count, as a guard against typing errors. A million
 * Contacts took about 1.5 GB in bench/sim_bench.sh. */
#define GEN_MAX_COUNT 100000000ULL

/* Generated stamps cover this many days before the current hour. */
#define GEN_SPAN_DAYS 30

#define GEN_SPEC_FORM "contacts=N,leads=M,accounts=K"

/* ---- random numbers: xoshiro256**, seeded through splitmix64 ---- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* A number in [0, n) for n <= 2^32; the multiply-shift keeps the bias
 * below 2^-32. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    if (n > UINT32_MAX)
        BUG("random range %llu is too large", (unsigned long long)n);
    return ((rng_next(r) >> 32) * n) >> 32;
}

static bool rng_percent(struct rng *r, unsigned percent)
{
    return rng_below(r, 100) < percent;
}

#define PICK(r, array) (&(array)[rng_below((r), ARRAY_SIZE(array))])

/* ---- built-in data ---- */

/* A name as written and its ASCII form for e-mail addresses. */
struct gen_name {
    const char *text;
    const char *ascii;
};

struct gen_city {
    const char *city;
    const char *state;  /* NULL where addresses usually omit it */
    const char *postal; /* '#' becomes a random digit */
    const char *phone;  /* national number after the trunk prefix */
};

enum street_style { STREET_NUMBER_FIRST, STREET_NUMBER_LAST, STREET_JP };

struct gen_locale {
    const char *country;       /* English name */
    const char *local_country; /* how some records write it */
    const char *calling_code;  /* "44" */
    const char *trunk;         /* national prefix: "0", or "" */
    const char *mobile;        /* mobile number template; NULL where
                                  mobiles look like landlines */
    unsigned weight;           /* share of people, in percent */
    enum street_style street_style;
    const struct gen_name *first, *last;
    size_t nfirst, nlast;
    const struct gen_city *cities;
    size_t ncities;
    const char *const *streets;
    size_t nstreets;
    const char *const *suffixes; /* legal forms of companies */
    size_t nsuffixes;
};

/* The tables keep several entries per line. */
/* clang-format off */
#define N(text, ascii) {text, ascii}

static const struct gen_name us_first[] = {
    N("James", "james"), N("Mary", "mary"), N("Robert", "robert"),
    N("Patricia", "patricia"), N("Michael", "michael"),
    N("Jennifer", "jennifer"), N("David", "david"), N("Linda", "linda"),
    N("William", "william"), N("Elizabeth", "elizabeth"),
    N("Christopher", "christopher"), N("Jessica", "jessica"),
    N("Daniel", "daniel"), N("Sarah", "sarah"), N("Matthew", "matthew"),
    N("Ashley", "ashley"), N("Anthony", "anthony"), N("Emily", "emily"),
    N("Joshua", "joshua"), N("Olivia", "olivia"), N("José", "jose"),
    N("María", "maria"), N("Zoë", "zoe"), N("Aaliyah", "aaliyah"),
    N("DeShawn", "deshawn"), N("Thảo", "thao"), N("Renée", "renee"),
    N("André", "andre"), N("Mary-Kate", "marykate"), N("Priya", "priya"),
};

static const struct gen_name us_last[] = {
    N("Smith", "smith"), N("Johnson", "johnson"), N("Williams", "williams"),
    N("Brown", "brown"), N("Jones", "jones"), N("Garcia", "garcia"),
    N("Miller", "miller"), N("Davis", "davis"),
    N("Rodriguez", "rodriguez"), N("Martinez", "martinez"),
    N("Hernández", "hernandez"), N("Lopez", "lopez"), N("Wilson", "wilson"),
    N("Anderson", "anderson"), N("Thomas", "thomas"), N("Taylor", "taylor"),
    N("Moore", "moore"), N("Jackson", "jackson"), N("Lee", "lee"),
    N("Nguyen", "nguyen"), N("O'Connor", "oconnor"), N("Peña", "pena"),
    N("Kim", "kim"), N("Patel", "patel"), N("Washington", "washington"),
    N("St. James", "stjames"), N("Van Buren", "vanburen"),
    N("D'Angelo", "dangelo"), N("Müller", "muller"),
};

static const struct gen_name uk_first[] = {
    N("Oliver", "oliver"), N("Amelia", "amelia"), N("George", "george"),
    N("Isla", "isla"), N("Harry", "harry"), N("Ava", "ava"),
    N("Jack", "jack"), N("Siobhán", "siobhan"), N("Niamh", "niamh"),
    N("Rhys", "rhys"), N("Seren", "seren"), N("Callum", "callum"),
    N("Freya", "freya"), N("Aoife", "aoife"), N("Chloë", "chloe"),
};

static const struct gen_name uk_last[] = {
    N("Smith", "smith"), N("Jones", "jones"), N("Taylor", "taylor"),
    N("Brown", "brown"), N("Davies", "davies"), N("Evans", "evans"),
    N("Roberts", "roberts"), N("O'Brien", "obrien"),
    N("McDonald", "mcdonald"), N("Hughes", "hughes"),
    N("Fitzgerald", "fitzgerald"), N("Khan", "khan"),
    N("Ní Bhriain", "nibhriain"), N("Llewellyn", "llewellyn"),
};

static const struct gen_name de_first[] = {
    N("Jürgen", "juergen"), N("Lukas", "lukas"), N("Anna", "anna"),
    N("Lena", "lena"), N("Maximilian", "maximilian"), N("Sophie", "sophie"),
    N("Björn", "bjoern"), N("Jörg", "joerg"), N("Ursula", "ursula"),
    N("Günter", "guenter"), N("Katharina", "katharina"), N("Felix", "felix"),
    N("Leonie", "leonie"), N("Heike", "heike"),
};

static const struct gen_name de_last[] = {
    N("Müller", "mueller"), N("Schmidt", "schmidt"),
    N("Schneider", "schneider"), N("Fischer", "fischer"),
    N("Weber", "weber"), N("Meyer", "meyer"), N("Wagner", "wagner"),
    N("Becker", "becker"), N("Schröder", "schroeder"), N("Weiß", "weiss"),
    N("Hoffmann", "hoffmann"), N("Groß", "gross"), N("Krüger", "krueger"),
    N("Köhler", "koehler"), N("von Bülow", "vonbuelow"),
};

static const struct gen_name fr_first[] = {
    N("François", "francois"), N("Hélène", "helene"), N("Zoë", "zoe"),
    N("Léa", "lea"), N("Chloé", "chloe"), N("Mathéo", "matheo"),
    N("Camille", "camille"), N("Étienne", "etienne"), N("Noël", "noel"),
    N("Amélie", "amelie"), N("Jérôme", "jerome"), N("Inès", "ines"),
    N("Jean-Luc", "jeanluc"),
};

static const struct gen_name fr_last[] = {
    N("Martin", "martin"), N("Bernard", "bernard"), N("Dubois", "dubois"),
    N("Robert", "robert"), N("Lefèvre", "lefevre"), N("Girard", "girard"),
    N("Bonnet", "bonnet"), N("Dupont", "dupont"), N("Lambert", "lambert"),
    N("Fontaine", "fontaine"), N("Rousseau", "rousseau"),
    N("Lemaître", "lemaitre"), N("Mercier", "mercier"),
    N("de La Tour", "delatour"),
};

static const struct gen_name es_first[] = {
    N("José", "jose"), N("María", "maria"), N("Lucía", "lucia"),
    N("Sofía", "sofia"), N("Martín", "martin"), N("Mateo", "mateo"),
    N("Alejandro", "alejandro"), N("Carmen", "carmen"),
    N("Javier", "javier"), N("Ángel", "angel"), N("Inés", "ines"),
    N("Raúl", "raul"), N("Begoña", "begona"),
};

static const struct gen_name es_last[] = {
    N("García", "garcia"), N("Rodríguez", "rodriguez"),
    N("González", "gonzalez"), N("Fernández", "fernandez"),
    N("López", "lopez"), N("Martínez", "martinez"),
    N("Sánchez", "sanchez"), N("Pérez", "perez"), N("Gómez", "gomez"),
    N("Núñez", "nunez"), N("Peña", "pena"), N("Ibáñez", "ibanez"),
    N("Muñoz", "munoz"),
};

static const struct gen_name pl_first[] = {
    N("Łukasz", "lukasz"), N("Małgorzata", "malgorzata"),
    N("Katarzyna", "katarzyna"), N("Piotr", "piotr"), N("Paweł", "pawel"),
    N("Agnieszka", "agnieszka"), N("Krzysztof", "krzysztof"),
    N("Michał", "michal"), N("Zofia", "zofia"), N("Wojciech", "wojciech"),
    N("Ewa", "ewa"), N("Jędrzej", "jedrzej"),
};

static const struct gen_name pl_last[] = {
    N("Kowalski", "kowalski"), N("Nowak", "nowak"),
    N("Wiśniewski", "wisniewski"), N("Wójcik", "wojcik"),
    N("Kowalczyk", "kowalczyk"), N("Kamiński", "kaminski"),
    N("Lewandowski", "lewandowski"), N("Zieliński", "zielinski"),
    N("Woźniak", "wozniak"), N("Dąbrowski", "dabrowski"), N("Żak", "zak"),
    N("Wróbel", "wrobel"),
};

static const struct gen_name dk_first[] = {
    N("Søren", "soeren"), N("Mette", "mette"), N("Lars", "lars"),
    N("Anders", "anders"), N("Kirsten", "kirsten"), N("Jens", "jens"),
    N("Åse", "aase"), N("Bjørn", "bjoern"), N("Freja", "freja"),
    N("Mikkel", "mikkel"), N("Ida", "ida"), N("Rasmus", "rasmus"),
};

static const struct gen_name dk_last[] = {
    N("Jensen", "jensen"), N("Nielsen", "nielsen"), N("Hansen", "hansen"),
    N("Pedersen", "pedersen"), N("Andersen", "andersen"),
    N("Christensen", "christensen"), N("Larsen", "larsen"),
    N("Sørensen", "soerensen"), N("Rasmussen", "rasmussen"),
    N("Jørgensen", "joergensen"), N("Møller", "moeller"),
    N("Kjær", "kjaer"), N("Østergaard", "oestergaard"),
};

static const struct gen_name cn_first[] = {
    N("伟", "wei"), N("娜", "na"), N("芳", "fang"), N("敏", "min"),
    N("静", "jing"), N("磊", "lei"), N("洋", "yang"), N("丽", "li"),
    N("强", "qiang"), N("军", "jun"), N("秀英", "xiuying"),
    N("建华", "jianhua"), N("晓明", "xiaoming"),
};

static const struct gen_name cn_last[] = {
    N("王", "wang"), N("李", "li"), N("张", "zhang"), N("刘", "liu"),
    N("陈", "chen"), N("杨", "yang"), N("黄", "huang"), N("赵", "zhao"),
    N("吴", "wu"), N("周", "zhou"), N("徐", "xu"), N("孙", "sun"),
};

static const struct gen_name jp_first[] = {
    N("翔", "sho"), N("陽菜", "hina"), N("蓮", "ren"), N("結衣", "yui"),
    N("大翔", "hiroto"), N("さくら", "sakura"), N("健太", "kenta"),
    N("美咲", "misaki"), N("拓也", "takuya"), N("愛", "ai"),
};

static const struct gen_name jp_last[] = {
    N("佐藤", "sato"), N("鈴木", "suzuki"), N("高橋", "takahashi"),
    N("田中", "tanaka"), N("伊藤", "ito"), N("渡辺", "watanabe"),
    N("山本", "yamamoto"), N("中村", "nakamura"), N("小林", "kobayashi"),
    N("加藤", "kato"),
};

/* US numbers use the 555 exchange, where few lines belong to subscribers,
 * and UK numbers the blocks Ofcom sets aside for drama, so that few
 * generated numbers reach anyone. Other countries' numbers are random. */
static const struct gen_city us_cities[] = {
    {"San Francisco", "CA", "941##", "415 555 ####"},
    {"New York", "NY", "100##", "212 555 ####"},
    {"Chicago", "IL", "606##", "312 555 ####"},
    {"Austin", "TX", "787##", "512 555 ####"},
    {"Seattle", "WA", "981##", "206 555 ####"},
    {"Boston", "MA", "021##", "617 555 ####"},
    {"Denver", "CO", "802##", "303 555 ####"},
    {"Atlanta", "GA", "303##", "404 555 ####"},
    {"Miami", "FL", "331##", "305 555 ####"},
    {"Portland", "OR", "972##", "503 555 ####"},
};

static const struct gen_city uk_cities[] = {
    {"London", NULL, "EC1A #BB", "20 7946 0###"},
    {"Manchester", "England", "M# #AE", "161 496 0###"},
    {"Edinburgh", "Scotland", "EH# #YZ", "131 496 0###"},
    {"Cardiff", "Wales", "CF10 #AA", "29 2018 0###"},
    {"Bristol", NULL, "BS# #AH", "117 496 0###"},
};

static const struct gen_city de_cities[] = {
    {"Berlin", "Berlin", "10###", "30 ########"},
    {"München", "Bayern", "80###", "89 #######"},
    {"Hamburg", "Hamburg", "20###", "40 ########"},
    {"Köln", "Nordrhein-Westfalen", "50###", "221 #######"},
};

static const struct gen_city fr_cities[] = {
    {"Paris", "Île-de-France", "750##", "1 ## ## ## ##"},
    {"Lyon", "Auvergne-Rhône-Alpes", "6900#", "4 ## ## ## ##"},
    {"Marseille", NULL, "130##", "4 ## ## ## ##"},
    {"Toulouse", "Occitanie", "310##", "5 ## ## ## ##"},
};

static const struct gen_city es_cities[] = {
    {"Madrid", "Madrid", "280##", "91# ### ###"},
    {"Barcelona", "Cataluña", "080##", "93# ### ###"},
    {"Sevilla", "Andalucía", "410##", "95# ### ###"},
    {"Valencia", "Comunidad Valenciana", "460##", "96# ### ###"},
};

static const struct gen_city pl_cities[] = {
    {"Warszawa", "mazowieckie", "0#-###", "22 ### ## ##"},
    {"Kraków", "małopolskie", "3#-###", "12 ### ## ##"},
    {"Gdańsk", "pomorskie", "80-###", "58 ### ## ##"},
    {"Łódź", "łódzkie", "9#-###", "42 ### ## ##"},
};

static const struct gen_city dk_cities[] = {
    {"København", NULL, "1###", "3# ## ## ##"},
    {"Aarhus", NULL, "8000", "8# ## ## ##"},
    {"Odense", NULL, "5000", "6# ## ## ##"},
};

static const struct gen_city cn_cities[] = {
    {"北京", "北京市", "100###", "10 #### ####"},
    {"上海", "上海市", "200###", "21 #### ####"},
    {"深圳", "广东省", "518###", "755 #### ####"},
};

static const struct gen_city jp_cities[] = {
    {"東京", "東京都", "100-####", "3-####-####"},
    {"大阪", "大阪府", "530-####", "6-####-####"},
    {"横浜", "神奈川県", "220-####", "45-###-####"},
};

static const char *const us_streets[] = {
    "Market Street", "Main Street", "Elm Avenue", "Oak Lane",
    "Mission Street", "Broadway", "Pine Street", "Maple Drive",
    "Sunset Boulevard", "Lake Shore Drive",
};
static const char *const uk_streets[] = {
    "Baker Street", "High Street", "Station Road", "Church Lane",
    "Victoria Road", "Queen's Road",
};
static const char *const de_streets[] = {
    "Hauptstraße", "Schillerstraße", "Goethestraße", "Bahnhofstraße",
    "Gartenweg", "Lindenallee",
};
static const char *const fr_streets[] = {
    "rue de la Paix", "avenue des Champs-Élysées", "boulevard Saint-Michel",
    "rue du Faubourg Saint-Honoré", "place Bellecour",
};
static const char *const es_streets[] = {
    "Calle de Alcalá", "Gran Vía", "Paseo de la Castellana", "Calle Mayor",
    "Avinguda Diagonal",
};
static const char *const pl_streets[] = {
    "ul. Marszałkowska", "ul. Floriańska", "al. Jerozolimskie",
    "ul. Długa", "ul. Piotrkowska",
};
static const char *const dk_streets[] = {
    "Strøget", "Nørrebrogade", "Vesterbrogade", "Østergade",
    "Åboulevard",
};
static const char *const cn_streets[] = {
    "建国路", "南京东路", "中山路", "长安街", "深南大道",
};
static const char *const jp_streets[] = {
    "丸の内", "銀座", "梅田", "みなとみらい", "六本木",
};

static const char *const us_suffixes[] = {"Inc.", "LLC", "Corp.", "Co."};
static const char *const uk_suffixes[] = {"Ltd", "plc", "LLP"};
static const char *const de_suffixes[] = {"GmbH", "AG", "GmbH & Co. KG"};
static const char *const fr_suffixes[] = {"SARL", "SA", "SAS"};
static const char *const es_suffixes[] = {"S.L.", "S.A."};
static const char *const pl_suffixes[] = {"Sp. z o.o.", "S.A."};
static const char *const dk_suffixes[] = {"ApS", "A/S"};
static const char *const cn_suffixes[] = {"Co., Ltd.", "有限公司"};
static const char *const jp_suffixes[] = {"K.K.", "株式会社"};

#define LIST(a) a, ARRAY_SIZE(a)
#define LOCALE(country, local, code, trunk, mobile, weight, style, p)      \
    {country, local, code, trunk, mobile, weight, style, p##_first,        \
     p##_last, ARRAY_SIZE(p##_first), ARRAY_SIZE(p##_last),               \
     LIST(p##_cities), LIST(p##_streets), LIST(p##_suffixes)}

/* Weights add up to 100. */
static const struct gen_locale locales[] = {
    LOCALE("United States", "USA", "1", "1", NULL, 55,
           STREET_NUMBER_FIRST, us),
    LOCALE("United Kingdom", "UK", "44", "0", "7700 900###", 10,
           STREET_NUMBER_FIRST, uk),
    LOCALE("Germany", "Deutschland", "49", "0", "151 ########", 8,
           STREET_NUMBER_LAST, de),
    LOCALE("France", "France", "33", "0", "6 ## ## ## ##", 6,
           STREET_NUMBER_FIRST, fr),
    LOCALE("Spain", "España", "34", "", "6## ### ###", 6,
           STREET_NUMBER_LAST, es),
    LOCALE("Poland", "Polska", "48", "", "5## ### ###", 4,
           STREET_NUMBER_LAST, pl),
    LOCALE("Denmark", "Danmark", "45", "", "2# ## ## ##", 3,
           STREET_NUMBER_LAST, dk),
    LOCALE("China", "中国", "86", "0", "138 #### ####", 5,
           STREET_NUMBER_LAST, cn),
    LOCALE("Japan", "日本", "81", "0", "90-####-####", 3, STREET_JP, jp),
};

#define LOCALE_US 0

/* Company names are "<root> <business> <legal form>". */
static const struct gen_name company_roots[] = {
    N("Aurora", "aurora"), N("Bluebird", "bluebird"), N("Cobalt", "cobalt"),
    N("Driftwood", "driftwood"), N("Evergreen", "evergreen"),
    N("Falcon", "falcon"), N("Granite", "granite"), N("Harbor", "harbor"),
    N("Ironwood", "ironwood"), N("Juniper", "juniper"),
    N("Keystone", "keystone"), N("Lighthouse", "lighthouse"),
    N("Meridian", "meridian"), N("Northwind", "northwind"),
    N("Orchid", "orchid"), N("Pinnacle", "pinnacle"), N("Quartz", "quartz"),
    N("Redwood", "redwood"), N("Silverline", "silverline"),
    N("Tidewater", "tidewater"), N("Upland", "upland"),
    N("Vantage", "vantage"), N("Willow", "willow"), N("Zenith", "zenith"),
    N("Élan", "elan"), N("Blåbær", "blaabaer"),
    N("Straßberg", "strassberg"), N("Nørrebro", "noerrebro"),
    N("Añil", "anil"), N("Żuraw", "zuraw"), N("富士", "fuji"),
    N("长城", "changcheng"), N("Brightwater", "brightwater"),
    N("Copperfield", "copperfield"), N("Sandstone", "sandstone"),
};

static const struct gen_name company_kinds[] = {
    N("Logistics", "logistics"), N("Systems", "systems"),
    N("Health", "health"), N("Foods", "foods"), N("Analytics", "analytics"),
    N("Energy", "energy"), N("Media", "media"), N("Robotics", "robotics"),
    N("Textiles", "textiles"), N("Consulting", "consulting"),
    N("Software", "software"), N("Telecom", "telecom"),
    N("Insurance", "insurance"), N("Travel", "travel"),
    N("Manufacturing", "manufacturing"), N("Pharma", "pharma"),
    N("Outdoor", "outdoor"), N("Finance", "finance"),
};

static const char *const titles[] = {
    "CEO", "CFO", "CTO", "VP of Sales", "VP of Engineering",
    "Director of Operations", "Head of Customer Support",
    "Account Executive", "Sales Development Representative",
    "Customer Success Manager", "Marketing Coordinator", "Office Manager",
    "Procurement Specialist", "Software Engineer",
    "Senior Software Engineer", "Data Analyst", "Product Manager",
    "IT Administrator", "HR Business Partner", "Buyer",
    "Purchasing Manager", "Operations Manager",
    "Contact Center Supervisor", "Geschäftsführer", "Directeur commercial",
    "Jefa de Compras", "Kierownik działu IT", "Salgschef", "营销经理",
    "営業部長",
};

static const char *const departments[] = {
    "Sales", "Marketing", "Finance", "Engineering", "Support",
    "Operations", "Procurement", "IT", "Human Resources", "Legal",
};

static const char *const mail_domains[] = {
    "example.com", "example.net", "example.org", "mail.example.com",
};

static const char *const second_lines[] = {
    "Suite 300", "Floor 4", "Apt 12B", "Building C", "Unit 7",
};

/* clang-format on */

/* ---- the spec ---- */

struct gen_counts {
    uint64_t accounts, contacts, leads;
};

static int spec_error(struct err *err, const char *spec, const char *reason)
{
    return err_set(err, SYNC_EINVALID,
                   "invalid generate spec '%.80s': %s; expected " GEN_SPEC_FORM
                   " (whole numbers, any subset, any order)",
                   spec, reason);
}

static char *trim(char *s)
{
    char *end = s + strlen(s);

    while (*s == ' ')
        s++;
    while (end > s && end[-1] == ' ')
        *--end = '\0';
    return s;
}

static int parse_count(const char *spec, const char *text, uint64_t *out,
                       struct err *err)
{
    char reason[128];
    char *end;
    unsigned long long n;

    errno = 0;
    n = strtoull(text, &end, 10);
    if (*text < '0' || *text > '9' || *end) {
        snprintf(reason, sizeof(reason),
                 "count '%.60s' is not a whole number >= 0", text);
        return spec_error(err, spec, reason);
    }
    if (errno == ERANGE || n > GEN_MAX_COUNT) {
        snprintf(reason, sizeof(reason),
                 "count '%.60s' is above the maximum of %llu", text,
                 GEN_MAX_COUNT);
        return spec_error(err, spec, reason);
    }
    *out = n;
    return 0;
}

/* Parse one "name=count" item into counts. */
static int parse_item(const char *spec, char *item, struct gen_counts *counts,
                      unsigned *seen, struct err *err)
{
    static const char *const names[] = {"accounts", "contacts", "leads"};
    uint64_t *slots[] = {&counts->accounts, &counts->contacts, &counts->leads};
    char *eq = strchr(item, '=');
    char reason[128];
    char *name;

    if (!eq) {
        snprintf(reason, sizeof(reason), "'%.60s' is not name=count",
                 trim(item));
        return spec_error(err, spec, reason);
    }
    *eq = '\0';
    name = trim(item);
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (strcasecmp(name, names[i]) != 0)
            continue;
        if (*seen & (1u << i)) {
            snprintf(reason, sizeof(reason), "'%s' is given twice", names[i]);
            return spec_error(err, spec, reason);
        }
        *seen |= 1u << i;
        return parse_count(spec, trim(eq + 1), slots[i], err);
    }
    snprintf(reason, sizeof(reason), "unknown object '%.60s'", name);
    return spec_error(err, spec, reason);
}

static int parse_spec(const char *spec, struct gen_counts *counts,
                      struct err *err)
{
    char *copy = xstrdup(spec);
    char *item = copy;
    unsigned seen = 0;
    int rc = 0;

    memset(counts, 0, sizeof(*counts));
    while (rc == 0 && item) {
        char *comma = strchr(item, ',');

        if (comma)
            *comma = '\0';
        rc = parse_item(spec, item, counts, &seen, err);
        item = comma ? comma + 1 : NULL;
    }
    free(copy);
    return rc;
}

/* ---- field handles ---- */

/* Field indexes of one object, -1 where the schema lacks the field. */
struct gen_object {
    struct sim_object *obj;
    int name, first_name, last_name, salutation, title, department, email,
        phone, mobile, company, website, industry, type, rating, source, status,
        employees, account_id, birthdate, do_not_call, opted_out_email,
        opted_out_fax, owner, created_by, modified_by, created, modified,
        modstamp;
    /* address parts: street, city, state, postal code, country */
    int address[5];
    /* checkboxes and defaulted picklists, with the values that record.c
     * gives every new record */
    int *defaulted;
    const char **defaults;
    size_t ndefaulted;
};

static int field_index(struct sim_object *obj, const char *name)
{
    struct sim_field *f = sim_object_field(obj, name);

    return f ? (int)f->index : -1;
}

static void collect_defaults(struct gen_object *g)
{
    struct sim_object *obj = g->obj;

    g->defaulted = xcalloc(obj->nfields + 1, sizeof(*g->defaulted));
    g->defaults = xcalloc(obj->nfields + 1, sizeof(*g->defaults));
    for (size_t i = 0; i < obj->nfields; i++) {
        struct sim_field *f = obj->fields[i];
        json_t *def = json_object_get(f->describe, "defaultValue");
        const char *value;

        if (f->type == SIM_T_BOOLEAN)
            value = json_is_true(def) ? "true" : "false";
        else if (f->type == SIM_T_PICKLIST)
            value = f->default_value;
        else
            value = NULL;
        if (!value)
            continue;
        g->defaulted[g->ndefaulted] = (int)i;
        g->defaults[g->ndefaulted++] = value;
    }
}

static void gen_object_init(struct gen_object *g, struct sim_object *obj,
                            const char *address_prefix)
{
    static const char *const parts[] = {"Street", "City", "State", "PostalCode",
                                        "Country"};

    memset(g, 0, sizeof(*g));
    g->obj = obj;
    g->name = obj->f_name;
    g->first_name = obj->f_first_name;
    g->last_name = obj->f_last_name;
    g->salutation = field_index(obj, "Salutation");
    g->title = field_index(obj, "Title");
    g->department = field_index(obj, "Department");
    g->email = field_index(obj, "Email");
    g->phone = field_index(obj, "Phone");
    g->mobile = field_index(obj, "MobilePhone");
    g->company = field_index(obj, "Company");
    g->website = field_index(obj, "Website");
    g->industry = field_index(obj, "Industry");
    g->type = field_index(obj, "Type");
    g->rating = field_index(obj, "Rating");
    g->source = field_index(obj, "LeadSource");
    g->status = field_index(obj, "Status");
    g->employees = field_index(obj, "NumberOfEmployees");
    g->account_id = field_index(obj, "AccountId");
    g->birthdate = field_index(obj, "Birthdate");
    g->do_not_call = field_index(obj, "DoNotCall");
    g->opted_out_email = field_index(obj, "HasOptedOutOfEmail");
    g->opted_out_fax = field_index(obj, "HasOptedOutOfFax");
    g->owner = obj->f_owner_id;
    g->created_by = obj->f_created_by_id;
    g->modified_by = obj->f_last_modified_by_id;
    g->created = obj->f_created_date;
    g->modified = obj->f_last_modified_date;
    g->modstamp = obj->f_system_modstamp;
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
        char name[32];

        snprintf(name, sizeof(name), "%s%s", address_prefix, parts[i]);
        g->address[i] = field_index(obj, name);
    }
    collect_defaults(g);
}

static void gen_object_release(struct gen_object *g)
{
    free(g->defaulted);
    free(g->defaults);
}

static void set(struct sim_record *rec, int index, const char *value)
{
    if (index >= 0)
        sim_record_set(rec, (size_t)index, value);
}

/* A random active value of a picklist field, or NULL. */
static const char *pick_value(struct rng *r, const struct gen_object *g,
                              int index)
{
    const struct sim_field *f;

    if (index < 0)
        return NULL;
    f = g->obj->fields[index];
    return f->npicklist ? f->picklist[rng_below(r, f->npicklist)] : NULL;
}

/* ---- values ---- */

static const struct gen_locale *pick_locale(struct rng *r)
{
    uint64_t n = rng_below(r, 100);

    for (size_t i = 0; i < ARRAY_SIZE(locales); i++) {
        if (n < locales[i].weight)
            return &locales[i];
        n -= locales[i].weight;
    }
    return &locales[LOCALE_US];
}

/* Copy template into out with each '#' replaced by a random digit. */
static void fill_digits(struct rng *r, const char *template, char *out,
                        size_t size)
{
    size_t i = 0;

    for (; template[i] && i + 1 < size; i++)
        out[i] =
            template[i] == '#' ? (char)('0' + rng_below(r, 10)) : template[i];
    out[i] = '\0';
}

static void strip_separators(const char *in, char *out, size_t size)
{
    size_t n = 0;

    for (; *in && n + 1 < size; in++)
        if (*in >= '0' && *in <= '9')
            out[n++] = *in;
    out[n] = '\0';
}

/* A ten-digit North American number in one of the ways people type it. */
static void format_us_phone(struct rng *r, const char *d, char *out,
                            size_t size)
{
    switch (rng_below(r, 8)) {
    case 0:
        snprintf(out, size, "(%.3s) %.3s-%.4s", d, d + 3, d + 6);
        break;
    case 1:
        snprintf(out, size, "%.3s-%.3s-%.4s", d, d + 3, d + 6);
        break;
    case 2:
        snprintf(out, size, "+1 %.3s %.3s %.4s", d, d + 3, d + 6);
        break;
    case 3:
        snprintf(out, size, "%.10s", d);
        break;
    case 4:
        snprintf(out, size, "%.3s.%.3s.%.4s", d, d + 3, d + 6);
        break;
    case 5:
        snprintf(out, size, "+1 (%.3s) %.3s-%.4s", d, d + 3, d + 6);
        break;
    case 6:
        snprintf(out, size, "1-%.3s-%.3s-%.4s", d, d + 3, d + 6);
        break;
    default:
        snprintf(out, size, "+1%.10s", d);
        break;
    }
}

/* Another country's number: international, national or E.164. */
static void format_intl_phone(struct rng *r, const struct gen_locale *loc,
                              const char *number, char *out, size_t size)
{
    char digits[32];
    uint64_t style = rng_below(r, 10);

    if (style < 5) {
        snprintf(out, size, "+%s %s", loc->calling_code, number);
    } else if (style < 8) {
        snprintf(out, size, "%s%s", loc->trunk, number);
    } else if (style < 9) {
        strip_separators(number, digits, sizeof(digits));
        snprintf(out, size, "+%s%s", loc->calling_code, digits);
    } else {
        snprintf(out, size, "00%s %s", loc->calling_code, number);
    }
}

static void make_phone(struct rng *r, const struct gen_locale *loc,
                       const char *template, char *out, size_t size)
{
    char number[32], digits[32];
    size_t len;

    fill_digits(r, template, number, sizeof(number));
    if (loc == &locales[LOCALE_US]) {
        strip_separators(number, digits, sizeof(digits));
        format_us_phone(r, digits, out, size);
    } else {
        format_intl_phone(r, loc, number, out, size);
    }
    if (!rng_percent(r, 4))
        return;
    len = strlen(out);
    switch (rng_below(r, 3)) {
    case 0:
        snprintf(out + len, size - len, " ext. %u",
                 (unsigned)(100 + rng_below(r, 900)));
        break;
    case 1:
        snprintf(out + len, size - len, " x%u",
                 (unsigned)(1 + rng_below(r, 99)));
        break;
    default:
        snprintf(out + len, size - len, " ext %u",
                 (unsigned)(1 + rng_below(r, 9)));
        break;
    }
}

static void make_street(struct rng *r, const struct gen_locale *loc, char *out,
                        size_t size)
{
    const char *street = loc->streets[rng_below(r, loc->nstreets)];
    unsigned number = (unsigned)(1 + rng_below(r, 2000));
    size_t len;

    if (loc->street_style == STREET_JP)
        snprintf(out, size, "%s%u-%u-%u", street, number % 9 + 1,
                 number % 20 + 1, number % 30 + 1);
    else if (loc->street_style == STREET_NUMBER_LAST)
        snprintf(out, size, "%s %u", street, number % 200 + 1);
    else
        snprintf(out, size, "%u %s", number, street);
    /* Some streets carry a second line, as the textarea allows. */
    if (loc->street_style == STREET_NUMBER_FIRST && rng_percent(r, 8)) {
        len = strlen(out);
        snprintf(out + len, size - len, "\n%s", *PICK(r, second_lines));
    }
}

static const char *country_text(struct rng *r, const struct gen_locale *loc)
{
    return rng_percent(r, 20) ? loc->local_country : loc->country;
}

/* Set the five address parts of rec for a place in loc. */
static void set_address(struct rng *r, const struct gen_object *g,
                        struct sim_record *rec, const struct gen_locale *loc,
                        const struct gen_city *city)
{
    char street[160], postal[24];

    make_street(r, loc, street, sizeof(street));
    fill_digits(r, city->postal, postal, sizeof(postal));
    set(rec, g->address[0], street);
    set(rec, g->address[1], city->city);
    set(rec, g->address[2], city->state);
    set(rec, g->address[3], postal);
    set(rec, g->address[4], country_text(r, loc));
}

/*
 * Write an e-mail address made from the person's name into out. The
 * trailing number is the record's ordinal in the org and no name form ends
 * in a digit, so two generated records never share an address.
 */
static void make_email(struct rng *r, const struct gen_name *first,
                       const struct gen_name *last, uint64_t ordinal,
                       const char *domain, char *out, size_t size)
{
    unsigned long long n = (unsigned long long)ordinal;

    switch (rng_below(r, 4)) {
    case 0:
        snprintf(out, size, "%s.%s%llu@%s", first->ascii, last->ascii, n,
                 domain);
        break;
    case 1:
        snprintf(out, size, "%c%s%llu@%s", first->ascii[0], last->ascii, n,
                 domain);
        break;
    case 2:
        snprintf(out, size, "%s_%s%llu@%s", first->ascii, last->ascii, n,
                 domain);
        break;
    default:
        snprintf(out, size, "%s%c%llu@%s", first->ascii, last->ascii[0], n,
                 domain);
        break;
    }
}

/* ---- stamps ---- */

/* The window that creation stamps spread over, evenly and in creation
 * order, at one-second resolution. */
struct gen_clock {
    int64_t start_ms, end_ms;
    uint64_t total;
};

static void clock_init(struct gen_clock *c, uint64_t total)
{
    /* Anchored to the start of the current hour, so runs within one hour
     * with the same seed produce identical stamps. */
    int64_t hour = datetime_now_ms() / 3600000 * 3600000;

    c->end_ms = hour - 1000;
    c->start_ms = c->end_ms - (int64_t)GEN_SPAN_DAYS * 86400 * 1000;
    c->total = total ? total : 1;
}

static int64_t clock_created(struct rng *r, const struct gen_clock *c,
                             uint64_t i)
{
    uint64_t span_s = (uint64_t)(c->end_ms - c->start_ms) / 1000;
    /* i * span_s stays below 2^63, because GEN_MAX_COUNT times 30 days of
     * seconds is about 2.6e14. */
    uint64_t base = i * span_s / c->total;
    uint64_t next = (i + 1) * span_s / c->total;
    uint64_t jitter = next > base ? rng_below(r, next - base) : 0;

    return c->start_ms + (int64_t)(base + jitter) * 1000;
}

static int64_t later_stamp(struct rng *r, const struct gen_clock *c,
                           int64_t after)
{
    uint64_t room = (uint64_t)(c->end_ms - after) / 1000;

    return after + (int64_t)rng_below(r, room + 1) * 1000;
}

/* Set CreatedDate, LastModifiedDate and SystemModstamp (never
 * decreasing, in that order) and the audit user fields. */
static void set_stamps(struct rng *r, const struct gen_object *g,
                       struct sim_record *rec, const struct gen_clock *c,
                       uint64_t i, const struct sim_user *user)
{
    int64_t created = clock_created(r, c, i);
    int64_t modified =
        rng_percent(r, 25) ? later_stamp(r, c, created) : created;
    int64_t modstamp =
        rng_percent(r, 5) ? later_stamp(r, c, modified) : modified;
    char text[DATETIME_LEN];

    datetime_format_sf(created, text);
    set(rec, g->created, text);
    if (modified != created)
        datetime_format_sf(modified, text);
    set(rec, g->modified, text);
    if (modstamp != modified)
        datetime_format_sf(modstamp, text);
    set(rec, g->modstamp, text);
    rec->modstamp_ms = modstamp;
    set(rec, g->created_by, user->id);
    set(rec, g->modified_by, user->id);
}

/* ---- records ---- */

struct gen_run {
    struct sim_org *org;
    struct rng rng;
    const struct sim_user *user;
    uint64_t email_ordinal;
    int64_t max_stamp_ms;

    /* the Accounts made by this run, for Contacts to point at */
    struct sim_object *accounts_obj;
    int account_website;
    size_t first_account;
    uint64_t naccounts;
    unsigned char *account_locale;
};

static struct sim_record *new_record(struct gen_run *run,
                                     const struct gen_object *g)
{
    struct sim_record *rec = sim_record_new(g->obj);
    const struct sim_user *owner =
        run->org->users[rng_below(&run->rng, run->org->nusers)];

    for (size_t i = 0; i < g->ndefaulted; i++)
        sim_record_set(rec, (size_t)g->defaulted[i], g->defaults[i]);
    set(rec, g->owner, owner->id);
    return rec;
}

static void finish_record(struct gen_run *run, struct sim_record *rec)
{
    if (rec->modstamp_ms > run->max_stamp_ms)
        run->max_stamp_ms = rec->modstamp_ms;
    sim_record_insert(run->org, rec);
}

static void set_flag(struct sim_record *rec, int index, bool on)
{
    set(rec, index, on ? "true" : "false");
}

/* Set the name fields, as record.c derives the person Name. */
static void set_person(struct gen_run *run, const struct gen_object *g,
                       struct sim_record *rec, const struct gen_name *first,
                       const struct gen_name *last)
{
    char name[128];

    set(rec, g->first_name, first->text);
    set(rec, g->last_name, last->text);
    snprintf(name, sizeof(name), "%s %s", first->text, last->text);
    set(rec, g->name, name);
    if (rng_percent(&run->rng, 30))
        set(rec, g->salutation, pick_value(&run->rng, g, g->salutation));
    if (rng_percent(&run->rng, 95))
        set(rec, g->title, *PICK(&run->rng, titles));
}

static void set_contact_points(struct gen_run *run, const struct gen_object *g,
                               struct sim_record *rec,
                               const struct gen_locale *loc,
                               const struct gen_city *city)
{
    struct rng *r = &run->rng;
    char phone[48];

    make_phone(r, loc, city->phone, phone, sizeof(phone));
    set(rec, g->phone, phone);
    if (rng_percent(r, 35)) {
        make_phone(r, loc, loc->mobile ? loc->mobile : city->phone, phone,
                   sizeof(phone));
        set(rec, g->mobile, phone);
    }
    set_flag(rec, g->do_not_call, rng_percent(r, 3));
    set_flag(rec, g->opted_out_email, rng_percent(r, 4));
    set_flag(rec, g->opted_out_fax, rng_percent(r, 2));
}

/* The company name and its web domain ("lighthouse-energy.example.com"). */
static void make_company(struct rng *r, const struct gen_locale *loc,
                         char *name, size_t name_size, char *domain,
                         size_t domain_size)
{
    const struct gen_name *root = PICK(r, company_roots);
    const struct gen_name *kind = PICK(r, company_kinds);
    const char *suffix = loc->suffixes[rng_below(r, loc->nsuffixes)];

    snprintf(name, name_size, "%s %s %s", root->text, kind->text, suffix);
    snprintf(domain, domain_size, "%s-%s.example.com", root->ascii,
             kind->ascii);
}

static void make_account(struct gen_run *run, const struct gen_object *g,
                         const struct gen_clock *c, uint64_t i)
{
    struct rng *r = &run->rng;
    const struct gen_locale *loc = pick_locale(r);
    const struct gen_city *city = &loc->cities[rng_below(r, loc->ncities)];
    struct sim_record *rec = new_record(run, g);
    char name[160], domain[96], text[160];

    make_company(r, loc, name, sizeof(name), domain, sizeof(domain));
    set(rec, g->name, name);
    snprintf(text, sizeof(text), "https://www.%s", domain);
    set(rec, g->website, text);
    make_phone(r, loc, city->phone, text, sizeof(text));
    set(rec, g->phone, text);
    set(rec, g->industry, pick_value(r, g, g->industry));
    set(rec, g->type, pick_value(r, g, g->type));
    if (rng_percent(r, 60)) {
        snprintf(text, sizeof(text), "%u", (unsigned)(5 + rng_below(r, 20000)));
        set(rec, g->employees, text);
    }
    set_address(r, g, rec, loc, city);
    set_stamps(r, g, rec, c, i, run->user);
    run->account_locale[i] = (unsigned char)(loc - locales);
    finish_record(run, rec);
}

/* The generated Account a Contact works at; NULL for a private Contact. */
static struct sim_record *pick_account(struct gen_run *run, size_t *index)
{
    if (!run->naccounts || rng_percent(&run->rng, 8))
        return NULL;
    *index = (size_t)rng_below(&run->rng, run->naccounts);
    return run->accounts_obj->records[run->first_account + *index];
}

/* The mail domain of an Account's Website, or a shared provider. */
static const char *mail_domain(struct gen_run *run,
                               const struct sim_record *account)
{
    const char *web =
        account && run->account_website >= 0
            ? sim_record_get(account, (size_t)run->account_website)
            : NULL;

    if (web && strncmp(web, "https://www.", 12) == 0 &&
        rng_percent(&run->rng, 85))
        return web + 12;
    return *PICK(&run->rng, mail_domains);
}

static void make_contact(struct gen_run *run, const struct gen_object *g,
                         const struct gen_clock *c, uint64_t i)
{
    struct rng *r = &run->rng;
    size_t account_index = 0;
    struct sim_record *account = pick_account(run, &account_index);
    const struct gen_locale *loc =
        account && rng_percent(r, 80)
            ? &locales[run->account_locale[account_index]]
            : pick_locale(r);
    const struct gen_city *city = &loc->cities[rng_below(r, loc->ncities)];
    const struct gen_name *first = &loc->first[rng_below(r, loc->nfirst)];
    const struct gen_name *last = &loc->last[rng_below(r, loc->nlast)];
    struct sim_record *rec = new_record(run, g);
    char email[160];

    set_person(run, g, rec, first, last);
    if (account)
        set(rec, g->account_id, account->id);
    if (rng_percent(r, 40))
        set(rec, g->department, *PICK(r, departments));
    make_email(r, first, last, ++run->email_ordinal, mail_domain(run, account),
               email, sizeof(email));
    set(rec, g->email, email);
    set_contact_points(run, g, rec, loc, city);
    set_address(r, g, rec, loc, city);
    if (rng_percent(r, 70))
        set(rec, g->source, pick_value(r, g, g->source));
    if (rng_percent(r, 20)) {
        char date[DATETIME_LEN];

        /* Born 1950-2004: days since the epoch from -7305 to 12784. */
        date_format(-7305 + (int64_t)rng_below(r, 20090), date);
        set(rec, g->birthdate, date);
    }
    set_stamps(r, g, rec, c, i, run->user);
    finish_record(run, rec);
}

/* Lead statuses that a Lead can have before conversion. The describe does
 * not say which values mean converted (LeadStatus.IsConverted is not in
 * it), so values naming "Converted" without "Not" are left out. */
static void usable_statuses(const struct gen_object *g, const char **out,
                            size_t max, size_t *n)
{
    const struct sim_field *f =
        g->status >= 0 ? g->obj->fields[g->status] : NULL;

    *n = 0;
    for (size_t i = 0; f && i < f->npicklist && *n < max; i++) {
        const char *v = f->picklist[i];

        if (!strstr(v, "Converted") || strstr(v, "Not Converted"))
            out[(*n)++] = v;
    }
}

static void make_lead(struct gen_run *run, const struct gen_object *g,
                      const struct gen_clock *c, uint64_t i,
                      const char **statuses, size_t nstatuses)
{
    struct rng *r = &run->rng;
    const struct gen_locale *loc = pick_locale(r);
    const struct gen_city *city = &loc->cities[rng_below(r, loc->ncities)];
    const struct gen_name *first = &loc->first[rng_below(r, loc->nfirst)];
    const struct gen_name *last = &loc->last[rng_below(r, loc->nlast)];
    struct sim_record *rec = new_record(run, g);
    char company[160], domain[96], email[160];

    set_person(run, g, rec, first, last);
    make_company(r, loc, company, sizeof(company), domain, sizeof(domain));
    set(rec, g->company, company);
    make_email(r, first, last, ++run->email_ordinal,
               rng_percent(r, 70) ? domain : *PICK(r, mail_domains), email,
               sizeof(email));
    set(rec, g->email, email);
    set_contact_points(run, g, rec, loc, city);
    set_address(r, g, rec, loc, city);
    if (nstatuses)
        set(rec, g->status, statuses[rng_below(r, nstatuses)]);
    if (rng_percent(r, 85))
        set(rec, g->source, pick_value(r, g, g->source));
    if (rng_percent(r, 50))
        set(rec, g->industry, pick_value(r, g, g->industry));
    if (rng_percent(r, 30))
        set(rec, g->rating, pick_value(r, g, g->rating));
    set_stamps(r, g, rec, c, i, run->user);
    finish_record(run, rec);
}

/* ---- the run ---- */

static struct sim_object *require_object(struct sim_org *org, const char *name,
                                         struct err *err)
{
    struct sim_object *obj = sim_org_object(org, name);

    if (!obj)
        err_set(err, SYNC_EINVALID,
                "cannot generate %s records: the org has no %s object", name,
                name);
    return obj;
}

static void generate_accounts(struct gen_run *run, struct sim_object *obj,
                              uint64_t n)
{
    struct gen_object g;
    struct gen_clock c;

    gen_object_init(&g, obj, "Billing");
    clock_init(&c, n);
    run->accounts_obj = obj;
    run->account_website = g.website;
    run->first_account = obj->nrecords;
    run->naccounts = n;
    run->account_locale = xcalloc(n ? n : 1, 1);
    for (uint64_t i = 0; i < n; i++)
        make_account(run, &g, &c, i);
    gen_object_release(&g);
}

static void generate_contacts(struct gen_run *run, struct sim_object *obj,
                              uint64_t n)
{
    struct gen_object g;
    struct gen_clock c;

    gen_object_init(&g, obj, "Mailing");
    clock_init(&c, n);
    for (uint64_t i = 0; i < n; i++)
        make_contact(run, &g, &c, i);
    gen_object_release(&g);
}

static void generate_leads(struct gen_run *run, struct sim_object *obj,
                           uint64_t n)
{
    const char *statuses[32];
    size_t nstatuses;
    struct gen_object g;
    struct gen_clock c;

    gen_object_init(&g, obj, "");
    usable_statuses(&g, statuses, ARRAY_SIZE(statuses), &nstatuses);
    clock_init(&c, n);
    for (uint64_t i = 0; i < n; i++)
        make_lead(run, &g, &c, i, statuses, nstatuses);
    gen_object_release(&g);
}

int sim_generate(struct sim_org *org, const char *spec, uint64_t seed,
                 struct err *err)
{
    struct gen_counts counts;
    struct sim_object *account = NULL, *contact = NULL, *lead = NULL;
    struct gen_run run = {0};
    int64_t start = datetime_now_ms();
    int rc;

    if ((rc = parse_spec(spec, &counts, err)) < 0)
        return rc;
    if ((counts.accounts && !(account = require_object(org, "Account", err))) ||
        (counts.contacts && !(contact = require_object(org, "Contact", err))) ||
        (counts.leads && !(lead = require_object(org, "Lead", err))))
        return err->code;
    run.org = org;
    run.user = sim_org_integration_user(org);
    /* Ordinals continue past the records already there, so a second run
     * into the same org makes no address of the first again. */
    run.email_ordinal = sim_org_object(org, "Contact")
                            ? sim_org_object(org, "Contact")->nrecords
                            : 0;
    run.email_ordinal +=
        sim_org_object(org, "Lead") ? sim_org_object(org, "Lead")->nrecords : 0;
    rng_seed(&run.rng, seed);
    sim_state_begin(org);
    if (account)
        generate_accounts(&run, account, counts.accounts);
    if (contact)
        generate_contacts(&run, contact, counts.contacts);
    if (lead)
        generate_leads(&run, lead, counts.leads);
    free(run.account_locale);
    if (run.max_stamp_ms > org->last_stamp_ms)
        org->last_stamp_ms = run.max_stamp_ms;
    if ((rc = sim_state_commit(org, err)) < 0)
        return rc;
    log_info("sim", "records generated",
             "accounts=%llu contacts=%llu leads=%llu seed=%llu ms=%lld",
             (unsigned long long)counts.accounts,
             (unsigned long long)counts.contacts,
             (unsigned long long)counts.leads, (unsigned long long)seed,
             (long long)(datetime_now_ms() - start));
    return 0;
}
