/*
 * Per-record features and pair scoring. Everything a comparison needs is computed once when a
 * record arrives (interned ids, Double Metaphone codes, date parts, nickname groups), so that
 * scoring a candidate pair is mostly integer compares; string similarity runs only when two
 * values differ.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "resolve/resolve_int.h"

static const char *key_of(const au_record *rec, au_attr a)
{
    const au_value *v = &rec->attrs[a];
    const char *s = v->key ? v->key : v->value;
    return s && *s ? s : NULL;
}

/* The raw text of a quarantined value (normalisation refused it: no value, no key). */
static const char *quarantined_raw(const au_record *rec, au_attr a)
{
    const au_value *v = &rec->attrs[a];
    return !v->key && !v->value && v->raw && *v->raw ? v->raw : NULL;
}

/* Generation named by one name token: Sr 1, Jr and II 2, III 3, IV 4; 0 for other words. */
static int suffix_token(const char *t, size_t n)
{
    static const struct {
        const char *w;
        int gen;
    } words[] = {{"sr", 1}, {"snr", 1}, {"senior", 1}, {"jr", 2},  {"jnr", 2}, {"junior", 2},
                 {"ii", 2}, {"2nd", 2}, {"iii", 3},    {"3rd", 3}, {"iv", 4},  {"4th", 4}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].w) == n && strncmp(t, words[i].w, n) == 0)
            return words[i].gen;
    return 0;
}

/* The generational suffix in a name key ("john smith jr", "smith iii"), never its first word
 * (the name itself). */
static int name_suffix(const char *s)
{
    int gen = 0, word = 0;
    while (s && *s) {
        size_t n = strcspn(s, " .,");
        if (n && word++ > 0 && suffix_token(s, n))
            gen = suffix_token(s, n);
        s += n;
        s += strspn(s, " .,");
    }
    return gen;
}

/* A courtesy or professional title word (Mr, Mrs, Dr...). */
static int title_token(const char *t, size_t n)
{
    static const char *const words[] = {"mr",  "mrs",  "ms",  "miss", "mx",   "dr",   "prof",
                                        "sir", "dame", "rev", "lord", "lady", "mstr", "master"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncmp(t, words[i], n) == 0)
            return 1;
    return 0;
}

/* The name without a leading title and trailing generational suffixes ("mrs mary" -> "mary",
 * "smith jr." -> "smith"), in buf; s itself when there is nothing to take off. A name that is
 * only a title or a suffix is kept as it is. */
static const char *bare_name(const char *s, char *buf, size_t cap)
{
    const char *tok[16];
    size_t len[16], n = 0, lo = 0, used = 0;
    if (!s)
        return NULL;
    for (const char *p = s; *p && n < 16;) {
        p += strspn(p, " .,");
        size_t l = strcspn(p, " .,");
        if (l) {
            tok[n] = p;
            len[n++] = l;
        }
        p += l;
    }
    size_t hi = n;
    while (hi - lo > 1 && title_token(tok[lo], len[lo]))
        lo++;
    while (hi - lo > 1 && suffix_token(tok[hi - 1], len[hi - 1]))
        hi--;
    if (lo == 0 && hi == n)
        return s;
    for (size_t i = lo; i < hi && used + len[i] + 2 <= cap; i++) {
        if (used)
            buf[used++] = ' ';
        memcpy(buf + used, tok[i], len[i]);
        used += len[i];
    }
    buf[used] = '\0';
    return used ? buf : s;
}

/* The one place that knows where a generational suffix lives: today a trailing word of a name
 * attribute; a canonical suffix attribute will take its place here. */
static int record_suffix(const au_record *rec)
{
    static const au_attr names[] = {AU_ATTR_LAST_NAME, AU_ATTR_FULL_NAME, AU_ATTR_FIRST_NAME,
                                    AU_ATTR_MIDDLE_NAME};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int g = name_suffix(key_of(rec, names[i]));
        if (g)
            return g;
    }
    return 0;
}

/* Interns a name; its nickname groups, signature and metaphone codes are computed the first
 * time the name is seen and kept by id (names repeat: most records bring no new name). */
static au_rc intern_name(au_resolver *res, const char *s, uint32_t *id, uint32_t *mp, uint32_t *mp2)
{
    au_intern *t = &res->names;
    size_t before = t->n;
    au_rc rc = au_intern_get(t, s, id);
    if (rc || !*id)
        return rc;
    if (t->n != before) {
        if (res->nick) {
            uint16_t g[2] = {0, 0};
            au_nick_groups(res->nick, s, g, 2);
            memcpy(t->nick[*id], g, sizeof g);
        }
        t->sig[*id] = au_cmp_sig(s);
    }
    if (!mp)
        return AU_OK;
    if (!t->mp[*id][2]) {
        char p[AU_DMETA_MAX + 1], a[AU_DMETA_MAX + 1];
        uint32_t c1, c2;
        au_cmp_double_metaphone(s, 4, p, a);
        if ((rc = au_intern_get(&res->codes, p, &c1)) ||
            (rc = au_intern_get(&res->codes, strcmp(a, p) ? a : "", &c2)))
            return rc;
        t->mp[*id][0] = c1;
        t->mp[*id][1] = c2;
        t->mp[*id][2] = 1;
    }
    *mp = t->mp[*id][0];
    *mp2 = t->mp[*id][1];
    return AU_OK;
}

/* The first declared shared identifier present among the record's custom attributes,
 * interned as "attr=value" so that two numbering schemes never collide. */
static au_rc shared_id(au_resolver *res, const au_record *rec, uint32_t *id)
{
    char buf[256];
    *id = 0;
    for (int i = 0; i < res->model.nshared_ids && rec->custom; i++) {
        json_t *v = json_object_get(rec->custom, res->model.shared_ids[i]);
        int n = 0;
        if (json_is_string(v) && json_string_length(v) > 0)
            n = snprintf(buf, sizeof buf, "%s=%s", res->model.shared_ids[i], json_string_value(v));
        else if (json_is_integer(v))
            n = snprintf(buf, sizeof buf, "%s=%lld", res->model.shared_ids[i],
                         (long long)json_integer_value(v));
        if (n > 0 && (size_t)n < sizeof buf)
            return au_intern_get(&res->ids, buf, id);
    }
    return AU_OK;
}

au_rc au_feat_build(au_resolver *res, const au_record *rec, au_feat *f)
{
    au_rc rc;
    char *split = NULL;
    memset(f, 0, sizeof *f);
    /* Titles and generational suffixes are not the name: "mrs mary" is mary, "smith jr" is
     * smith (the suffix is kept apart in f->suffix). */
    char bfirst[128], blast[128], bfull[192];
    const char *first = bare_name(key_of(rec, AU_ATTR_FIRST_NAME), bfirst, sizeof bfirst);
    const char *last = bare_name(key_of(rec, AU_ATTR_LAST_NAME), blast, sizeof blast);
    const char *full = bare_name(key_of(rec, AU_ATTR_FULL_NAME), bfull, sizeof bfull);
    if (!first && !last && full) {
        /* Only a full name: its last word is the surname, the rest the given name. */
        split = au_strdup(full);
        if (!split)
            return AU_ERR_NOMEM;
        char *sp = strrchr(split, ' ');
        if (sp) {
            *sp = '\0';
            first = split;
            last = sp + 1;
        } else {
            last = split;
        }
    }
    const char *addr = key_of(rec, AU_ATTR_ADDRESS_LINE1);
    if (!addr)
        addr = key_of(rec, AU_ATTR_ADDRESS_FULL);
    /* The lookups below miss the cache at scale (tables of a million values): their slots
     * are requested together first. */
    static const au_attr id_attrs[] = {AU_ATTR_EMAIL, AU_ATTR_PHONE, AU_ATTR_NATIONAL_ID,
                                       AU_ATTR_PASSPORT, AU_ATTR_DRIVERS_LICENSE};
    static const au_attr text_attrs[] = {AU_ATTR_CITY, AU_ATTR_POSTCODE, AU_ATTR_STATE};
    for (size_t i = 0; i < sizeof id_attrs / sizeof id_attrs[0]; i++)
        au_intern_prefetch(&res->ids, key_of(rec, id_attrs[i]));
    for (size_t i = 0; i < sizeof text_attrs / sizeof text_attrs[0]; i++)
        au_intern_prefetch(&res->text, key_of(rec, text_attrs[i]));
    au_intern_prefetch(&res->text, addr);
    if ((rc = intern_name(res, first, &f->first, &f->first_mp, &f->first_mp2)) ||
        (rc = intern_name(res, last, &f->last, &f->last_mp, &f->last_mp2)) ||
        (rc = intern_name(res, key_of(rec, AU_ATTR_MIDDLE_NAME), &f->middle, NULL, NULL)))
        goto out;
    if (f->first)
        f->finit = au_intern_str(&res->names, f->first)[0];
    if (f->last)
        f->linit = au_intern_str(&res->names, f->last)[0];
    const char *phone = key_of(rec, AU_ATTR_PHONE);
    char qphone[40];
    if (!phone && au_gen_phone_digits(quarantined_raw(rec, AU_ATTR_PHONE), qphone, sizeof qphone)) {
        phone = qphone; /* "#digits": never equal to an E.164 key */
        f->phone_q = 1;
    }
    if ((rc = au_intern_get(&res->ids, key_of(rec, AU_ATTR_EMAIL), &f->email)) ||
        (rc = au_intern_get(&res->ids, phone, &f->phone)) ||
        (rc = au_intern_get(&res->ids, key_of(rec, AU_ATTR_NATIONAL_ID), &f->nid)) ||
        (rc = au_intern_get(&res->ids, key_of(rec, AU_ATTR_PASSPORT), &f->passport)) ||
        (rc = au_intern_get(&res->ids, key_of(rec, AU_ATTR_DRIVERS_LICENSE), &f->licence)) ||
        (rc = au_intern_get(&res->text, addr, &f->addr)) ||
        (rc = au_intern_get(&res->text, key_of(rec, AU_ATTR_CITY), &f->city)) ||
        (rc = au_intern_get(&res->text, key_of(rec, AU_ATTR_POSTCODE), &f->postcode)) ||
        (rc = au_intern_get(&res->text, key_of(rec, AU_ATTR_STATE), &f->state)))
        goto out;
    if ((rc = shared_id(res, rec, &f->shared)))
        goto out;
    f->generic = (uint8_t)(au_gen_check(&res->ids, f->email, AU_GCOL_EMAIL) |
                           (f->phone_q ? 0 : au_gen_check(&res->ids, f->phone, AU_GCOL_PHONE)) |
                           au_gen_check(&res->ids, f->nid, AU_GCOL_NATIONAL_ID) |
                           au_gen_check(&res->text, f->addr, AU_GCOL_ADDRESS));
    f->suffix = (uint8_t)record_suffix(rec);
    if (f->email)
        f->email_sig = au_cmp_sig(au_intern_str(&res->ids, f->email));
    if (f->phone && !f->phone_q)
        f->phone_sig = au_cmp_sig(au_intern_str(&res->ids, f->phone));
    if (f->postcode)
        f->pc_sig = au_cmp_sig(au_intern_str(&res->text, f->postcode));
    if (!au_cmp_date_parse(key_of(rec, AU_ATTR_DATE_OF_BIRTH), &f->dob) &&
        au_gen_date_digits(quarantined_raw(rec, AU_ATTR_DATE_OF_BIRTH), &f->dob))
        f->dob_q = 1;
    /* 1900-01-01 and 1901-01-01 are what systems store for "unknown": a generic date, no
     * evidence either way (and no parent 70 years older than the real date). */
    if ((f->dob.y == 1900 || f->dob.y == 1901) && f->dob.m == 1 && f->dob.d == 1)
        memset(&f->dob, 0, sizeof f->dob), f->dob_q = 0;
    const char *g = key_of(rec, AU_ATTR_GENDER);
    if (g)
        f->gender = (g[0] == 'm' || g[0] == 'M') ? 1 : (g[0] == 'f' || g[0] == 'F') ? 2 : 3;
out:
    au_free(split);
    return rc;
}

static void count1(uint32_t *arr, uint64_t *tot, uint32_t id, int delta)
{
    if (!id)
        return;
    arr[id] += (uint32_t)delta;
    *tot += (uint64_t)(int64_t)delta;
}

void au_feat_count(au_resolver *res, const au_feat *f, int delta)
{
    count1(res->names.count, &res->tf_n[AU_COL_FIRST_NAME], f->first, delta);
    count1(res->names.count2, &res->tf_n[AU_COL_LAST_NAME], f->last, delta);
    count1(res->names.count, &res->tf_n[AU_COL_MIDDLE_NAME], f->middle, delta);
    count1(res->text.count, &res->tf_n[AU_COL_ADDRESS], f->addr, delta);
    count1(res->text.count, &res->tf_n[AU_COL_CITY], f->city, delta);
    count1(res->text.count, &res->tf_n[AU_COL_POSTCODE], f->postcode, delta);
}

/* ---- blocking keys --------------------------------------------------------------------- */

enum {
    BK_DOB = 1,
    BK_LASTMP_FI,
    BK_EMAIL,
    BK_PHONE,
    BK_NID,
    BK_PC_F2,
    BK_MPS,
    BK_PASS,
    BK_LIC,
    BK_LASTMP_YEAR,
    BK_ADDR_LASTINIT,
    BK_SHARED
};

static uint64_t mix(uint64_t tag, uint64_t a, uint64_t b)
{
    uint64_t h =
        tag * 0x9E3779B97F4A7C15ull ^ a * 0xC2B2AE3D27D4EB4Full ^ b * 0x165667B19E3779F9ull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h ? h : 1;
}

uint64_t au_gen_block_key(au_gcol c, uint32_t id)
{
    static const uint64_t tag[AU_GCOL_COUNT] = {0, BK_EMAIL, BK_PHONE, BK_NID, BK_ADDR_LASTINIT};
    return mix(tag[c], id, 0);
}

int au_feat_block_keys(const au_resolver *res, const au_feat *f, uint64_t *k, int *nstrong)
{
    int n = 0;
    /* Generic values and quarantined ones are no keys: a generic block is all different people
     * and a quarantined value is not trusted to meet anyone by itself. */
    (void)res;
    int dob_ok = f->dob.y && !f->dob_q;
    /* Keys are pure functions of the feature row, so removal recomputes the same set. The
     * name initials come from the metaphone code id's first letter would be ambiguous, so the
     * name id itself is combined where an exact value is wanted. */
    /* A birth date alone is shared by dozens of people in a million records: it is split by
     * the initial of either name (the same letter set for both, so swapped names meet). */
    uint64_t dob = (uint64_t)f->dob.y << 16 | (uint64_t)f->dob.m << 8 | (uint64_t)f->dob.d;
    if (dob_ok && !f->finit && !f->linit)
        k[n++] = mix(BK_DOB, dob, 0);
    if (dob_ok && f->finit)
        k[n++] = mix(BK_DOB, dob, (unsigned char)f->finit);
    if (dob_ok && f->linit && f->linit != f->finit)
        k[n++] = mix(BK_DOB, dob, (unsigned char)f->linit);
    if (f->email && !(f->generic & (1u << AU_GCOL_EMAIL)))
        k[n++] = mix(BK_EMAIL, f->email, 0);
    if (f->phone && !f->phone_q && !(f->generic & (1u << AU_GCOL_PHONE)))
        k[n++] = mix(BK_PHONE, f->phone, 0);
    if (f->nid && !(f->generic & (1u << AU_GCOL_NATIONAL_ID)))
        k[n++] = mix(BK_NID, f->nid, 0);
    if (f->passport)
        k[n++] = mix(BK_PASS, f->passport, 0);
    if (f->shared)
        k[n++] = mix(BK_SHARED, f->shared, 0);
    if (f->licence)
        k[n++] = mix(BK_LIC, f->licence, 0);
    if (nstrong)
        *nstrong = n;
    /* The date alone, as a weak key: in a small population it still finds a person whose
     * names both changed (a married name and a nickname); in a large one it overflows. */
    if (dob_ok && (f->finit || f->linit))
        k[n++] = mix(BK_DOB, dob, 0);
    if (f->first_mp && f->last_mp) {
        uint32_t lo = f->first_mp < f->last_mp ? f->first_mp : f->last_mp;
        uint32_t hi = f->first_mp < f->last_mp ? f->last_mp : f->first_mp;
        k[n++] = mix(BK_MPS, lo, hi);
    }
    if (f->last_mp && f->finit)
        k[n++] = mix(BK_LASTMP_FI, f->last_mp, (uint64_t)(unsigned char)f->finit);
    if (f->last_mp && f->dob.y)
        k[n++] = mix(BK_LASTMP_YEAR, f->last_mp, (uint64_t)f->dob.y);
    if (f->postcode && f->last_mp)
        k[n++] = mix(BK_PC_F2, f->postcode, f->last_mp);
    if (f->addr && f->last && !(f->generic & (1u << AU_GCOL_ADDRESS)))
        k[n++] = mix(BK_ADDR_LASTINIT, f->addr, 0);
    return n;
}

/* ---- scoring --------------------------------------------------------------------------- */

static int nick_same(const au_intern *t, uint32_t a, uint32_t b)
{
    const uint16_t *ga = t->nick[a], *gb = t->nick[b];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (ga[i] && ga[i] == gb[j])
                return 1;
    return 0;
}

static int mp_equal(uint32_t p1, uint32_t a1, uint32_t p2, uint32_t a2)
{
    return p1 && (p1 == p2 || (a2 && p1 == a2) || (a1 && (a1 == p2 || a1 == a2)));
}

enum { MEMO_FIRST = 0, MEMO_LAST = 1, MEMO_ADDR = 2, MEMO_CITY = 3 };

static au_memo *memo_slot(const au_resolver *res, unsigned kind, uint32_t a, uint32_t b,
                          uint64_t *key)
{
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    *key = (uint64_t)kind << 62 | lo << 31 | hi;
    uint64_t h = *key * 0x9E3779B97F4A7C15ull;
    return &res->memo[h >> (64 - AU_MEMO_BITS)];
}

void au_score_prefetch(const au_resolver *res, const au_feat *a, const au_feat *b)
{
    uint64_t key;
    if (a->first != b->first && a->first && b->first)
        __builtin_prefetch(memo_slot(res, MEMO_FIRST, a->first, b->first, &key));
    if (a->last != b->last && a->last && b->last)
        __builtin_prefetch(memo_slot(res, MEMO_LAST, a->last, b->last, &key));
    if (a->city != b->city && a->city && b->city)
        __builtin_prefetch(memo_slot(res, MEMO_CITY, a->city, b->city, &key));
}

static int first_level_raw(const au_resolver *res, uint32_t a, uint32_t b, uint32_t amp,
                           uint32_t amp2, uint32_t bmp, uint32_t bmp2)
{
    if (!a || !b)
        return -1;
    if (a == b)
        return 0;
    if (res->nick && nick_same(&res->names, a, b))
        return 1;
    const char *sa = au_intern_str(&res->names, a), *sb = au_intern_str(&res->names, b);
    if (au_cmp_initial(sa, sb))
        return 4;
    double jw = au_cmp_jaro_winkler(sa, sb);
    if (jw >= 0.92)
        return 2;
    if (jw >= 0.80 || mp_equal(amp, amp2, bmp, bmp2) ||
        (strlen(sa) >= 4 && au_cmp_damerau_levenshtein(sa, sb, 2) <= 2))
        return 3;
    return 5;
}

static int last_level_raw(const au_resolver *res, uint32_t a, uint32_t b, uint32_t amp,
                          uint32_t amp2, uint32_t bmp, uint32_t bmp2)
{
    if (!a || !b)
        return -1;
    if (a == b)
        return 0;
    const char *sa = au_intern_str(&res->names, a), *sb = au_intern_str(&res->names, b);
    double jw = au_cmp_jaro_winkler(sa, sb);
    if (jw >= 0.92)
        return 1;
    if (jw >= 0.80 || mp_equal(amp, amp2, bmp, bmp2) || au_cmp_damerau_levenshtein(sa, sb, 2) <= 2)
        return 2;
    return 3;
}

/* Whether two different names are certainly at the lowest similarity level, decided from
 * their signatures, nickname groups and metaphone codes without reading the strings or the
 * memo (a random pair of names, the common case, costs a few integer operations). Names of
 * fewer than 4 letters (initials, where the edit rule does not apply) are left to the full
 * comparison. */
static int names_far(const au_resolver *res, uint32_t a, uint32_t b, uint32_t amp, uint32_t amp2,
                     uint32_t bmp, uint32_t bmp2)
{
    unsigned long long sa = res->names.sig[a], sb = res->names.sig[b];
    if (!sa || !sb || mp_equal(amp, amp2, bmp, bmp2) || (res->nick && nick_same(&res->names, a, b)))
        return 0;
    int la = (int)((sa * 0x0101010101010101ull) >> 56);
    int lb = (int)((sb * 0x0101010101010101ull) >> 56);
    return la >= 4 && lb >= 4 && au_cmp_sig_l1(sa, sb) > 4 && au_cmp_sig_jw_max(sa, sb) < 0.80;
}

/* Mixed-metaphone inputs make the level depend on more than the two ids only through the
 * codes, which are themselves functions of the ids: memoising by ids is exact. */
static int first_level(const au_resolver *res, uint32_t a, uint32_t b, uint32_t amp, uint32_t amp2,
                       uint32_t bmp, uint32_t bmp2)
{
    if (!a || !b || a == b)
        return first_level_raw(res, a, b, amp, amp2, bmp, bmp2);
    if (names_far(res, a, b, amp, amp2, bmp, bmp2))
        return 5;
    uint64_t key;
    au_memo *m = memo_slot(res, MEMO_FIRST, a, b, &key);
    if (m->key != key) {
        m->level = (int8_t)first_level_raw(res, a, b, amp, amp2, bmp, bmp2);
        m->key = key;
    }
    return m->level;
}

static int last_level(const au_resolver *res, uint32_t a, uint32_t b, uint32_t amp, uint32_t amp2,
                      uint32_t bmp, uint32_t bmp2)
{
    if (!a || !b || a == b)
        return last_level_raw(res, a, b, amp, amp2, bmp, bmp2);
    if (names_far(res, a, b, amp, amp2, bmp, bmp2))
        return 3;
    uint64_t key;
    au_memo *m = memo_slot(res, MEMO_LAST, a, b, &key);
    if (m->key != key) {
        m->level = (int8_t)last_level_raw(res, a, b, amp, amp2, bmp, bmp2);
        m->key = key;
    }
    return m->level;
}

static int jw_level(const au_intern *t, uint32_t a, uint32_t b, const double *th, int nth)
{
    if (!a || !b)
        return -1;
    if (a == b)
        return 0;
    double jw = au_cmp_jaro_winkler(au_intern_str(t, a), au_intern_str(t, b));
    for (int i = 0; i < nth; i++)
        if (jw >= th[i])
            return i + 1;
    return nth + 1;
}

static int jw_level_memo(const au_resolver *res, unsigned kind, uint32_t a, uint32_t b,
                         const double *th, int nth)
{
    if (!a || !b || a == b)
        return jw_level(&res->text, a, b, th, nth);
    uint64_t key;
    au_memo *m = memo_slot(res, kind, a, b, &key);
    if (m->key != key) {
        m->level = (int8_t)jw_level(&res->text, a, b, th, nth);
        m->key = key;
    }
    return m->level;
}

/* Level of two values by edits: 0 equal, 1 within k edits, 2 further apart (-1 missing).
 * sa, sb: their au_cmp_sig (0: unknown), which settles most distant pairs. */
static int dl_level_sig(const au_intern *t, uint32_t a, uint32_t b, int k, unsigned long long sa,
                        unsigned long long sb)
{
    if (!a || !b)
        return -1;
    if (a == b)
        return 0;
    if (sa && sb && au_cmp_sig_l1(sa, sb) > 2 * k)
        return 2;
    return au_cmp_damerau_levenshtein(au_intern_str(t, a), au_intern_str(t, b), k) <= k ? 1 : 2;
}

static int strong_conflict(const au_resolver *res, uint32_t a, uint32_t b)
{
    if (!a || !b || a == b || au_gen_is(&res->ids, a) || au_gen_is(&res->ids, b))
        return 0; /* a placeholder national id says nothing, not "another person" */
    int k = res->model.conflict_max_edits;
    return au_cmp_damerau_levenshtein(au_intern_str(&res->ids, a), au_intern_str(&res->ids, b), k) >
           k;
}

int au_feat_conflict(const au_resolver *res, const au_feat *a, const au_feat *b)
{
    return ((res->model.rules & AU_RULE_NATIONAL_ID) && strong_conflict(res, a->nid, b->nid)) ||
           ((res->model.rules & AU_RULE_PASSPORT) &&
            strong_conflict(res, a->passport, b->passport));
}

/* Term-frequency adjustment of an exact agreement on `id` in column c. */
static double tf_adjust(const au_resolver *res, au_col c, const uint32_t *count, uint32_t id)
{
    const au_model *m = &res->model;
    if (!m->col[c].tf || res->tf_n[c] < (uint64_t)m->tf_min_records || !count[id])
        return 0;
    double u_tf = (double)count[id] / (double)res->tf_n[c];
    double adj = log2(m->col[c].u[0] / u_tf);
    return adj > m->tf_max ? m->tf_max : adj < -m->tf_max ? -m->tf_max : adj;
}

static void names_levels(const au_resolver *res, const au_feat *a, const au_feat *b, au_score *s)
{
    int fl =
        first_level(res, a->first, b->first, a->first_mp, a->first_mp2, b->first_mp, b->first_mp2);
    int ll = last_level(res, a->last, b->last, a->last_mp, a->last_mp2, b->last_mp, b->last_mp2);
    s->swapped = 0;
    if (fl >= 3 && ll >= 2 && a->first && a->last && b->first && b->last) {
        int xf =
            first_level(res, a->first, b->last, a->first_mp, a->first_mp2, b->last_mp, b->last_mp2);
        int xl =
            last_level(res, a->last, b->first, a->last_mp, a->last_mp2, b->first_mp, b->first_mp2);
        if (xf <= 2 && xl <= 1) {
            fl = xf;
            ll = xl;
            s->swapped = 1;
        }
    }
    s->level[AU_COL_FIRST_NAME] = (signed char)fl;
    s->level[AU_COL_LAST_NAME] = (signed char)ll;
}

/* How a quarantined date compares with another date, on its digits: year and the two other
 * numbers in order (the same as an equal date), crossed (day and month transposed), with the
 * year off by one, or sharing the year and one number. */
static int quarantined_date_level(au_date_parts a, au_date_parts b)
{
    if (!a.y || !b.y)
        return AU_DATE_MISSING;
    int dy = a.y > b.y ? a.y - b.y : b.y - a.y;
    if (!a.m || !b.m || !a.d || !b.d) { /* a partial date: the year (and month) only */
        if (dy == 1)
            return AU_DATE_MISSING;
        return dy || (a.m && b.m && a.m != b.m && a.m != b.d && a.d != b.m) ? AU_DATE_DIFFERENT
                                                                            : AU_DATE_ONE_PART;
    }
    int same = a.m == b.m && a.d == b.d, crossed = a.m == b.d && a.d == b.m;
    if (!dy && same)
        return AU_DATE_EQUAL;
    if (!dy && crossed)
        return AU_DATE_DM_SWAPPED;
    if (dy == 1 && (same || crossed))
        return AU_DATE_YEAR_OFF1;
    if (!dy && (a.m == b.m || a.d == b.d || a.m == b.d || a.d == b.m))
        return AU_DATE_ONE_PART;
    return AU_DATE_DIFFERENT;
}

/* Columns in which either side holds a generic value (no evidence either way). */
static unsigned generic_cols(const au_feat *a, const au_feat *b)
{
    unsigned either = (unsigned)(a->generic | b->generic), g = 0;
    if (!either)
        return 0;
    if ((either & (1u << AU_GCOL_EMAIL)) && a->email && b->email)
        g |= 1u << AU_COL_EMAIL;
    if ((either & (1u << AU_GCOL_PHONE)) && a->phone && b->phone)
        g |= 1u << AU_COL_PHONE;
    if ((either & (1u << AU_GCOL_NATIONAL_ID)) && a->nid && b->nid)
        g |= 1u << AU_COL_NATIONAL_ID;
    if ((either & (1u << AU_GCOL_ADDRESS)) && a->addr && b->addr)
        g |= 1u << AU_COL_ADDRESS;
    return g;
}

/* Whether the phone digits of a and b (at least one quarantined) end alike on 7 or more. */
static int phone_suffix_level(const au_resolver *res, uint32_t a, uint32_t b)
{
    const char *sa = au_intern_str(&res->ids, a), *sb = au_intern_str(&res->ids, b);
    const char *pa = sa + strlen(sa), *pb = sb + strlen(sb);
    int common = 0;
    while (pa > sa && pb > sb) {
        if (!isdigit((unsigned char)pa[-1])) {
            pa--;
            continue;
        }
        if (!isdigit((unsigned char)pb[-1])) {
            pb--;
            continue;
        }
        if (pa[-1] != pb[-1])
            break;
        pa--, pb--, common++;
    }
    return common >= 7 ? 0 : 2;
}

/* Levels that are cheap (integer compares, memoised name levels, short strings). The five
 * columns compared by similarity on mostly unique strings are left at PENDING unless equal or
 * missing. */
#define PENDING (-2)

static int pending_or(uint32_t a, uint32_t b)
{
    return !a || !b ? -1 : a == b ? 0 : PENDING;
}

static void cheap_levels(const au_resolver *res, const au_feat *a, const au_feat *b, au_score *s)
{
    names_levels(res, a, b, s);
    int mid = -1;
    if (a->middle && b->middle) {
        const char *sa = au_intern_str(&res->names, a->middle);
        const char *sb = au_intern_str(&res->names, b->middle);
        mid = a->middle == b->middle                                          ? 0
              : au_cmp_initial(sa, sb) || au_cmp_jaro_winkler(sa, sb) >= 0.88 ? 1
                                                                              : 2;
    }
    s->level[AU_COL_MIDDLE_NAME] = (signed char)mid;
    if (a->dob_q || b->dob_q) {
        s->level[AU_COL_DOB] = (signed char)quarantined_date_level(a->dob, b->dob);
        if (s->level[AU_COL_DOB] >= 0)
            s->quarantined |= 1u << AU_COL_DOB;
    } else {
        s->level[AU_COL_DOB] = (signed char)au_cmp_date(a->dob, b->dob);
    }
    if ((a->phone_q || b->phone_q) && a->phone && b->phone)
        s->quarantined |= 1u << AU_COL_PHONE;
    s->generic = generic_cols(a, b);
    s->level[AU_COL_EMAIL] = (signed char)pending_or(a->email, b->email);
    s->level[AU_COL_PHONE] = (signed char)pending_or(a->phone, b->phone);
    s->level[AU_COL_ADDRESS] = (signed char)pending_or(a->addr, b->addr);
    s->level[AU_COL_CITY] = (signed char)pending_or(a->city, b->city);
    s->level[AU_COL_POSTCODE] = (signed char)pending_or(a->postcode, b->postcode);
    s->level[AU_COL_STATE] =
        (signed char)(a->state && b->state ? (a->state == b->state ? 0 : 1) : -1);
    int nid = -1;
    if (a->nid && b->nid)
        nid = a->nid == b->nid ? 0 : strong_conflict(res, a->nid, b->nid) ? 2 : 1;
    s->level[AU_COL_NATIONAL_ID] = (signed char)nid;
    s->level[AU_COL_GENDER] = (signed char)(a->gender && b->gender && a->gender < 3 && b->gender < 3
                                                ? (a->gender == b->gender ? 0 : 1)
                                                : -1);
}

/* The similarity level of one pending column. need: the least weight the column must add for
 * the pair to reach the scoring floor; *bounded is set when that settled the level. */
static int fuzzy_level(const au_resolver *res, const au_feat *a, const au_feat *b, int c,
                       double need, int *bounded)
{
    static const double jw88[] = {0.88}, jw_addr[] = {0.90, 0.75};
    switch (c) {
    case AU_COL_EMAIL: {
        /* Two people with the same name often have look-alike addresses (john.smith12@ vs
         * john.smith45@): within two edits is a typo, a mere resemblance is weak evidence. */
        int em = dl_level_sig(&res->ids, a->email, b->email, 2, a->email_sig, b->email_sig);
        if (em == 2 && a->email_sig && b->email_sig &&
            au_cmp_sig_jw_max(a->email_sig, b->email_sig) < jw88[0])
            return 3;
        if (em == 2 && res->model.col[c].w[2] < need) {
            *bounded = 1; /* even a resemblance would leave the pair below the floor */
            return 3;
        }
        if (em == 2)
            em = jw_level(&res->ids, a->email, b->email, jw88, 1) == 1 ? 2 : 3;
        return em;
    }
    case AU_COL_PHONE:
        if (a->phone_q || b->phone_q)
            return phone_suffix_level(res, a->phone, b->phone);
        return dl_level_sig(&res->ids, a->phone, b->phone, 1, a->phone_sig, b->phone_sig);
    case AU_COL_ADDRESS:
        return jw_level_memo(res, MEMO_ADDR, a->addr, b->addr, jw_addr, 2);
    case AU_COL_POSTCODE:
        return dl_level_sig(&res->text, a->postcode, b->postcode, 1, a->pc_sig, b->pc_sig);
    default:
        return jw_level_memo(res, MEMO_CITY, a->city, b->city, jw88, 1);
    }
}

static unsigned rule_fired(const au_resolver *res, const au_feat *a, const au_feat *b,
                           const au_score *s)
{
    unsigned r = res->model.rules;
    /* A generic or quarantined value, strong negative evidence or a denial fires nothing. */
    if (s->negative || s->denied)
        return 0;
    if (s->generic & (1u << AU_COL_NATIONAL_ID))
        r &= ~(unsigned)AU_RULE_NATIONAL_ID;
    if (s->generic & (1u << AU_COL_EMAIL))
        r &= ~(unsigned)AU_RULE_EMAIL;
    /* A household shares a phone: with clearly different birth dates it is no rule. */
    if (((s->generic | s->quarantined) & (1u << AU_COL_PHONE)) ||
        (s->level[AU_COL_DOB] == AU_DATE_DIFFERENT && !(s->quarantined & (1u << AU_COL_DOB))))
        r &= ~(unsigned)AU_RULE_PHONE;
    if ((r & AU_RULE_NATIONAL_ID) && a->nid && a->nid == b->nid)
        return AU_RULE_NATIONAL_ID;
    if ((r & AU_RULE_PASSPORT) && a->passport && a->passport == b->passport)
        return AU_RULE_PASSPORT;
    if ((r & AU_RULE_SHARED_ID) && a->shared && a->shared == b->shared)
        return AU_RULE_SHARED_ID;
    /* Shared contact points (a family e-mail, a household phone) only count when the given
     * names do not clearly differ. */
    int names_ok = s->level[AU_COL_FIRST_NAME] != 5;
    if ((r & AU_RULE_DRIVERS) && a->licence && a->licence == b->licence && names_ok)
        return AU_RULE_DRIVERS;
    if ((r & AU_RULE_EMAIL) && a->email && a->email == b->email && names_ok)
        return AU_RULE_EMAIL;
    if ((r & AU_RULE_PHONE) && a->phone && a->phone == b->phone && names_ok)
        return AU_RULE_PHONE;
    return 0;
}

/* Weight of column c at its level (0 when missing or disabled), with TF adjustment. */
static double weigh(const au_resolver *res, const au_feat *a, au_score *s, int c)
{
    const au_model *m = &res->model;
    int l = s->level[c];
    s->weight[c] = 0;
    s->tf[c] = 0;
    if (!m->col[c].enabled) {
        s->level[c] = -1;
        return 0;
    }
    if (l < 0 || (s->generic & (1u << c)))
        return 0;
    double w = m->col[c].w[l];
    if (s->quarantined & (1u << c)) {
        s->weight[c] = (float)(w * m->quarantine_factor);
        return s->weight[c];
    }
    if (l == 0 && m->col[c].tf) {
        double adj = 0;
        if (c == AU_COL_FIRST_NAME)
            adj = tf_adjust(res, c, res->names.count, a->first);
        else if (c == AU_COL_LAST_NAME)
            adj = tf_adjust(res, c, res->names.count2, a->last);
        else if (c == AU_COL_MIDDLE_NAME)
            adj = tf_adjust(res, c, res->names.count, a->middle);
        else if (c == AU_COL_ADDRESS)
            adj = tf_adjust(res, c, res->text.count, a->addr);
        else if (c == AU_COL_CITY)
            adj = tf_adjust(res, c, res->text.count, a->city);
        else if (c == AU_COL_POSTCODE)
            adj = tf_adjust(res, c, res->text.count, a->postcode);
        s->tf[c] = (float)adj;
        w += adj;
    }
    s->weight[c] = (float)w;
    return w;
}

/* Scales the positive address/city/postcode weights down to the model's location cap; returns
 * how much was taken off the total. */
static double cap_location(const au_resolver *res, au_score *s)
{
    static const int loc[] = {AU_COL_ADDRESS, AU_COL_CITY, AU_COL_POSTCODE};
    double pos = 0, cap = res->model.location_cap;
    for (int i = 0; i < 3; i++)
        if (s->weight[loc[i]] > 0)
            pos += s->weight[loc[i]];
    if (pos <= cap)
        return 0;
    for (int i = 0; i < 3; i++)
        if (s->weight[loc[i]] > 0)
            s->weight[loc[i]] = (float)(s->weight[loc[i]] * cap / pos);
    return pos - cap;
}

/* Two members of a family or household share a surname, an address, a phone and (twins) a
 * birth date, but not a given name. When the given names clearly differ, those attributes
 * together may add at most family_cap: they say "same family", not "same person". */
static double cap_family(const au_resolver *res, au_score *s)
{
    static const int fam[] = {AU_COL_LAST_NAME, AU_COL_MIDDLE_NAME, AU_COL_DOB,
                              AU_COL_PHONE,     AU_COL_ADDRESS,     AU_COL_CITY,
                              AU_COL_POSTCODE,  AU_COL_STATE,       AU_COL_GENDER};
    const int nfam = (int)(sizeof fam / sizeof fam[0]);
    if (s->level[AU_COL_FIRST_NAME] != res->model.col[AU_COL_FIRST_NAME].nlevels - 1 || s->swapped)
        return 0;
    double pos = 0, cap = res->model.family_cap;
    for (int i = 0; i < nfam; i++)
        if (s->weight[fam[i]] > 0)
            pos += s->weight[fam[i]];
    if (pos <= cap)
        return 0;
    for (int i = 0; i < nfam; i++)
        if (s->weight[fam[i]] > 0)
            s->weight[fam[i]] = (float)(s->weight[fam[i]] * cap / pos);
    return pos - cap;
}

/* Two people of one name in one household (a father and his son, two cousins) agree on the
 * name, the address and the landline; only their birth dates tell them apart. When the
 * addresses agree, the dates clearly differ and no personal identifier (national id, passport)
 * agrees, all that a household shares adds at most family_cap: the date is not outvoted by the
 * name and address it shares with the household. (Without a shared address nothing says
 * "household": a date typed wrong is then outweighed by the rest, as before.) */
static double cap_generation(const au_resolver *res, const au_feat *a, const au_feat *b,
                             au_score *s)
{
    static const int shared[] = {AU_COL_FIRST_NAME, AU_COL_LAST_NAME, AU_COL_MIDDLE_NAME,
                                 AU_COL_PHONE,      AU_COL_ADDRESS,   AU_COL_CITY,
                                 AU_COL_POSTCODE,   AU_COL_STATE,     AU_COL_GENDER};
    const int n = (int)(sizeof shared / sizeof shared[0]);
    int nid = s->level[AU_COL_NATIONAL_ID], addr = s->level[AU_COL_ADDRESS];
    if (s->level[AU_COL_DOB] != AU_DATE_DIFFERENT || (s->quarantined & (1u << AU_COL_DOB)) ||
        s->level[AU_COL_FIRST_NAME] == 5 || addr < 0 || addr > 1 ||
        (s->generic & (1u << AU_COL_ADDRESS)) ||
        (nid >= 0 && nid <= 1 && !(s->generic & (1u << AU_COL_NATIONAL_ID))) ||
        (a->passport && a->passport == b->passport))
        return 0;
    double pos = 0, cap = res->model.family_cap;
    for (int i = 0; i < n; i++)
        if (s->weight[shared[i]] > 0)
            pos += s->weight[shared[i]];
    if (pos <= cap)
        return 0;
    for (int i = 0; i < n; i++)
        if (s->weight[shared[i]] > 0)
            s->weight[shared[i]] = (float)(s->weight[shared[i]] * cap / pos);
    return pos - cap;
}

/* Given names that clearly differ (not a nickname, typo or initial; names not swapped). */
static int given_differ(const au_score *s)
{
    return s->level[AU_COL_FIRST_NAME] == 5 && !s->swapped;
}

/* A column agreeing exactly on a value that is neither generic nor quarantined. */
static int agrees(const au_score *s, int c)
{
    return s->level[c] == 0 && !((s->generic | s->quarantined) & (1u << c));
}

/* Strong negative evidence (AU_NEG_*): each says "two people" however much else agrees. */
static unsigned negative_evidence(const au_feat *a, const au_feat *b, const au_score *s)
{
    unsigned neg = 0;
    int fl = s->level[AU_COL_FIRST_NAME], ll = s->level[AU_COL_LAST_NAME];
    int same_surname = ll >= 0 && ll <= 1, same_addr = agrees(s, AU_COL_ADDRESS);
    if (a->suffix && b->suffix && a->suffix != b->suffix)
        neg |= AU_NEG_SUFFIX;
    /* Parents, children, siblings and twins do not share a national id or a passport: an
     * agreeing one (or one within a typo) says a name or a date was replaced in one record,
     * not two people. */
    int nid = s->level[AU_COL_NATIONAL_ID];
    if (!same_surname || (nid >= 0 && nid <= 1 && !(s->generic & (1u << AU_COL_NATIONAL_ID))) ||
        (a->passport && a->passport == b->passport))
        return neg;
    /* One name, birth years 15 to 60 apart, one home (the same address, or none on a side and no
     * other town or postcode: the son's shop account may carry only a postcode): a parent and
     * a child; a year is a year even in a quarantined date. A personal e-mail in common says
     * the date was mistyped, or a given name replaced, instead. */
    if (agrees(s, AU_COL_EMAIL))
        return neg;
    int addr = s->level[AU_COL_ADDRESS];
    int home =
        (same_addr || addr < 0) && s->level[AU_COL_CITY] != 2 && s->level[AU_COL_POSTCODE] != 2;
    int gap = a->dob.y && b->dob.y ? abs(a->dob.y - b->dob.y) : 0;
    /* 15 to 60 years: a parent; a century (1870 for 1970) is a slip of the pen */
    if (home && fl >= 0 && fl <= 4 && gap >= 15 && gap <= 60)
        neg |= AU_NEG_GENERATION;
    if (!given_differ(s) || !same_addr)
        return neg;
    if (agrees(s, AU_COL_PHONE))
        neg |= AU_NEG_FAMILY;
    if (agrees(s, AU_COL_DOB))
        neg |= AU_NEG_TWINS;
    return neg;
}

/* An identifier (national id, e-mail, phone) agrees while both the given name and the birth
 * date clearly disagree: no identifier alone overrides that (a shared or mistyped id, a
 * parent's e-mail); the pair goes to review instead of linking. */
static int denied(const au_score *s)
{
    int id = agrees(s, AU_COL_NATIONAL_ID) || agrees(s, AU_COL_EMAIL) || agrees(s, AU_COL_PHONE);
    return id && given_differ(s) && s->level[AU_COL_DOB] == AU_DATE_DIFFERENT &&
           !(s->quarantined & (1u << AU_COL_DOB));
}

const char *au_neg_name(unsigned bit)
{
    switch (bit) {
    case AU_NEG_SUFFIX:
        return "generational_suffix";
    case AU_NEG_GENERATION:
        return "parent_child";
    case AU_NEG_FAMILY:
        return "family_member";
    case AU_NEG_TWINS:
        return "twins";
    default:
        return "?";
    }
}

int au_feat_distinct_people(const au_resolver *res, const au_feat *a, const au_feat *b)
{
    au_score s;
    names_levels(res, a, b, &s);
    if (s.level[AU_COL_FIRST_NAME] != 5 || s.swapped)
        return 0;
    if (a->dob.y && b->dob.y && !a->dob_q && !b->dob_q)
        return au_cmp_date(a->dob, b->dob) == AU_DATE_DIFFERENT;
    return s.level[AU_COL_LAST_NAME] == 3;
}

/* Similarity columns, cheapest first: the costly e-mail comparison runs last, only when the
 * others left the pair a chance. City is memoised and mostly equal; phone and postcode read
 * strings that are rarely in cache. */
static const int fuzzy_cols[] = {AU_COL_CITY, AU_COL_PHONE, AU_COL_POSTCODE, AU_COL_ADDRESS,
                                 AU_COL_EMAIL};
#define NFUZZY ((int)(sizeof fuzzy_cols / sizeof fuzzy_cols[0]))

double au_score_bounded(const au_resolver *res, const au_feat *a, const au_feat *b, double floor,
                        au_score *out)
{
    au_score local, *s = out ? out : &local;
    const au_model *m = &res->model;
    double best[NFUZZY], total = res->prior_w, upper = 0;
    s->quarantined = 0;
    cheap_levels(res, a, b, s);
    for (int c = 0; c < AU_COL_COUNT; c++)
        if (s->level[c] != PENDING)
            total += weigh(res, a, s, c);
    for (int i = 0; i < NFUZZY; i++) {
        int c = fuzzy_cols[i];
        /* Not equal, so at best the column's second level. */
        best[i] = s->level[c] == PENDING && m->col[c].enabled && !(s->generic & (1u << c))
                      ? fmax(m->col[c].w[1], 0)
                      : 0;
        upper += best[i];
    }
    s->bounded = 0;
    for (int i = 0; i < NFUZZY; i++) {
        int c = fuzzy_cols[i];
        if (s->level[c] != PENDING)
            continue;
        if (!s->bounded && total + upper < floor)
            s->bounded = 1; /* even the best similarity could not reach `floor`: skip it */
        s->level[c] =
            (signed char)(s->bounded || (s->generic & (1u << c))
                              ? m->col[c].nlevels - 1
                              : fuzzy_level(res, a, b, c, floor - total - (upper - best[i]),
                                            &s->bounded));
        total += weigh(res, a, s, c);
        upper -= best[i];
    }
    total -= cap_location(res, s);
    total -= cap_family(res, s);
    total -= cap_generation(res, a, b, s);
    s->negative = negative_evidence(a, b, s);
    s->penalty = s->negative ? (float)m->negative_weight : 0;
    total -= s->penalty;
    s->denied = denied(s);
    s->conflict = au_feat_conflict(res, a, b);
    s->rule = s->conflict ? 0 : rule_fired(res, a, b, s);
    s->total = total;
    return total;
}

double au_score_pair(const au_resolver *res, const au_feat *a, const au_feat *b, au_score *out)
{
    return au_score_bounded(res, a, b, -INFINITY, out);
}

int au_score_links(const au_resolver *res, const au_score *s)
{
    return !s->conflict && !s->denied && !s->negative &&
           (s->rule || s->total >= res->model.match_weight);
}

double au_score_link_weight(const au_resolver *res, const au_score *s, double w)
{
    return s->rule && w < res->model.match_weight ? res->model.match_weight : w;
}

au_decision au_score_decide(const au_resolver *res, au_link_kind ov, const au_score *s, double w)
{
    if (ov == AU_LINK_MUST)
        return AU_DECIDE_MATCH;
    if (ov == AU_LINK_CANNOT)
        return AU_DECIDE_NON_MATCH;
    if (au_score_links(res, s))
        return AU_DECIDE_MATCH;
    if (!s->conflict && (s->denied || w >= res->model.possible_weight))
        return AU_DECIDE_POSSIBLE;
    return AU_DECIDE_NON_MATCH;
}
