/*
 * corpus.c - generated news items and synthetic dictionaries (corpus.h).
 *
 * Names come from the dictionaries themselves (read with the project's YAML
 * reader): every full-name form in people.yaml and every name, demonym and
 * capital in countries-overlay.yaml, sorted by script, so a Russian template
 * gets Cyrillic names and a Chinese one Han names. The sentence templates
 * are the bench's own; a slot is {P} (a person), {C} and {Q} (two countries),
 * {S} (a synthetic person, present only in the synthetic dictionaries) and
 * {N} (a number).
 */
#include "corpus.h"

#include "geowire/record.h"
#include "geowire/text.h"
#include "geowire/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { SC_LATIN, SC_CYRILLIC, SC_HAN, SC_ARABIC, SC__COUNT };

typedef struct {
    char **v;
    size_t n, cap;
} names_t;

struct bench_corpus {
    names_t people[SC__COUNT], places[SC__COUNT];
    uint64_t seed;
};

typedef struct {
    const char *lang;
    int script;
    unsigned weight;                  /* share of items, out of the sum */
    const char *const *titles;
    const char *const *sentences;
} lang_t;

/* ---- templates (the bench's own text) ---------------------------------- */

static const char *const en_t[] = {
    "{P} meets {C} counterpart as talks on trade resume",
    "{C} and {Q} sign defence cooperation pact after {P} visit",
    "{P} warns of sanctions as {C} tensions rise",
    "Floods displace {N} families in {C}; {S} pledges aid",
    "{C} central bank holds rates as inflation eases, says {S}",
    NULL};
static const char *const en_s[] = {
    "{P} held talks with officials from {C} on Tuesday, according to a statement released after the meeting.",
    "The two sides discussed maritime security, energy supplies and the long-delayed free trade agreement.",
    "{S}, who chairs the parliamentary committee on foreign affairs, said the visit showed that {C} remained a reliable partner.",
    "Analysts in {Q} said the agreement could open the way for joint exercises next year.",
    "Officials declined to say whether the question of sanctions against {Q} had been raised.",
    "Trade between {C} and {Q} reached {N} million dollars last year, up from the year before.",
    "The ministry said {N} people had been evacuated and that relief supplies were on their way.",
    "Opposition leader {S} criticised the government for what he called a lack of transparency.",
    "The talks came a week after {P} travelled to {Q} for a regional summit on climate and fisheries.",
    "Markets were little changed after the announcement, with the currency trading near its recent average.",
    "A spokesman for {P} told reporters that the next round would take place in {C} before the end of the year.",
    "Both governments have said they want to expand cooperation in education, tourism and public health.",
    NULL};
static const char *const fr_t[] = {
    "{P} reçu par les dirigeants de {C} pour des entretiens sur la sécurité",
    "{C} et {Q} concluent un accord sur l'énergie",
    NULL};
static const char *const fr_s[] = {
    "{P} s'est entretenu mardi avec les autorités de {C}, selon un communiqué publié à l'issue de la rencontre.",
    "Les deux parties ont évoqué la sécurité maritime, l'approvisionnement en énergie et les échanges commerciaux.",
    "Selon {S}, député de l'opposition, cette visite montre que {C} reste un partenaire fiable.",
    "Les échanges entre {C} et {Q} ont atteint {N} millions d'euros l'an dernier.",
    "Le ministère a indiqué que {N} personnes avaient été évacuées à la suite des inondations.",
    "Les observateurs estiment que l'accord pourrait ouvrir la voie à des exercices conjoints.",
    NULL};
static const char *const de_t[] = {
    "{P} trifft Regierung von {C} zu Gesprächen über Handel",
    "{C} und {Q} vereinbaren engere Zusammenarbeit bei der Energie",
    NULL};
static const char *const de_s[] = {
    "{P} hat am Dienstag mit Vertretern von {C} über Handel und Sicherheit gesprochen, teilte die Regierung mit.",
    "Beide Seiten wollen die Zusammenarbeit in den Bereichen Bildung, Gesundheit und Infrastruktur ausbauen.",
    "Der Abgeordnete {S} sagte, der Besuch zeige, dass {C} ein verlässlicher Partner bleibe.",
    "Der Handel zwischen {C} und {Q} erreichte im vergangenen Jahr {N} Millionen Euro.",
    "Nach Angaben des Ministeriums mussten {N} Menschen ihre Häuser verlassen.",
    "Beobachter rechnen damit, dass die nächste Verhandlungsrunde noch vor Jahresende stattfindet.",
    NULL};
static const char *const es_t[] = {
    "{P} se reúne con autoridades de {C} para hablar de comercio",
    "{C} y {Q} firman un acuerdo de cooperación energética",
    NULL};
static const char *const es_s[] = {
    "{P} mantuvo el martes conversaciones con funcionarios de {C}, según un comunicado oficial.",
    "Ambas partes abordaron la seguridad marítima, el suministro de energía y el comercio bilateral.",
    "El diputado {S} afirmó que la visita demuestra que {C} sigue siendo un socio fiable.",
    "El comercio entre {C} y {Q} alcanzó {N} millones de dólares el año pasado.",
    "El ministerio informó de que {N} personas fueron evacuadas por las inundaciones.",
    "Los analistas creen que el acuerdo podría abrir la puerta a maniobras conjuntas.",
    NULL};
static const char *const ms_t[] = {
    "{P} adakan rundingan dengan pemimpin {C} mengenai perdagangan",
    "{C} dan {Q} meterai perjanjian kerjasama pertahanan",
    NULL};
static const char *const ms_s[] = {
    "{P} mengadakan pertemuan dengan pegawai kerajaan {C} pada hari Selasa, menurut kenyataan rasmi.",
    "Kedua-dua pihak membincangkan keselamatan maritim, bekalan tenaga dan perjanjian perdagangan bebas.",
    "Menurut {S}, lawatan itu menunjukkan bahawa {C} kekal sebagai rakan yang boleh dipercayai.",
    "Perdagangan antara {C} dan {Q} mencecah {N} juta ringgit tahun lalu.",
    "Kementerian berkata seramai {N} orang telah dipindahkan ke pusat pemindahan sementara.",
    "Penganalisis berkata perjanjian itu boleh membuka jalan kepada latihan bersama tahun depan.",
    NULL};
static const char *const vi_t[] = {
    "{P} hội đàm với lãnh đạo {C} về hợp tác kinh tế",
    "{C} và {Q} ký thỏa thuận hợp tác quốc phòng",
    NULL};
static const char *const vi_s[] = {
    "{P} đã có cuộc hội đàm với các quan chức {C} vào thứ Ba, theo thông cáo được công bố sau cuộc gặp.",
    "Hai bên đã thảo luận về an ninh hàng hải, cung cấp năng lượng và thương mại song phương.",
    "Theo ông {S}, chuyến thăm cho thấy {C} vẫn là một đối tác đáng tin cậy.",
    "Kim ngạch thương mại giữa {C} và {Q} đạt {N} triệu đô la trong năm ngoái.",
    "Bộ cho biết {N} người đã được sơ tán do lũ lụt.",
    NULL};
static const char *const ru_t[] = {
    "{P} провёл переговоры с руководством страны {C}",
    "{C} и {Q} подписали соглашение о сотрудничестве",
    NULL};
static const char *const ru_s[] = {
    "{P} во вторник провёл переговоры с представителями {C}, говорится в официальном сообщении.",
    "Стороны обсудили морскую безопасность, поставки энергоносителей и торговлю.",
    "По словам депутата {S}, визит показал, что {C} остаётся надёжным партнёром.",
    "Товарооборот между {C} и {Q} в прошлом году составил {N} миллионов долларов.",
    "В министерстве сообщили, что из зоны наводнения эвакуированы {N} человек.",
    "Аналитики считают, что соглашение откроет путь к совместным учениям.",
    NULL};
static const char *const zh_t[] = {
    "{P}会见来访代表团 双方讨论贸易合作",
    "{P}表示将继续推动地区安全对话",
    NULL};
static const char *const zh_s[] = {
    "{P}周二与来访的代表团举行会谈，双方就海上安全、能源供应和双边贸易交换了意见。",
    "双方同意在教育、卫生和基础设施领域进一步加强合作。",
    "分析人士认为，这一协议可能为明年的联合演习铺平道路。",
    "据官方公布的数字，去年双边贸易额达到{N}亿美元。",
    "有关部门表示，已有{N}人因洪水被转移到安全地带。",
    "{P}在记者会上说，下一轮磋商将于年底前举行。",
    NULL};
static const char *const ar_t[] = {
    "{P} يبحث مع وفد زائر سبل تعزيز التعاون",
    "{P} يدعو إلى استئناف الحوار الإقليمي",
    NULL};
static const char *const ar_s[] = {
    "أجرى {P} يوم الثلاثاء محادثات مع وفد زائر تناولت الأمن البحري وإمدادات الطاقة والتجارة.",
    "واتفق الجانبان على توسيع التعاون في مجالات التعليم والصحة والبنية التحتية.",
    "ويرى محللون أن الاتفاق قد يمهد الطريق لمناورات مشتركة في العام المقبل.",
    "وقالت الوزارة إن {N} شخصا أجلوا من المناطق المتضررة من الفيضانات.",
    NULL};

static const lang_t langs[] = {
    {"en", SC_LATIN, 46, en_t, en_s},    {"fr", SC_LATIN, 8, fr_t, fr_s},
    {"de", SC_LATIN, 8, de_t, de_s},     {"es", SC_LATIN, 8, es_t, es_s},
    {"ms", SC_LATIN, 8, ms_t, ms_s},     {"vi", SC_LATIN, 6, vi_t, vi_s},
    {"ru", SC_CYRILLIC, 8, ru_t, ru_s},  {"zh", SC_HAN, 5, zh_t, zh_s},
    {"ar", SC_ARABIC, 3, ar_t, ar_s},
};

/* ---- names from the dictionaries --------------------------------------- */

static int script_of(const char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        int32_t cp;
        i += (size_t)gw_utf8_decode(s, len, i, &cp);
        if (cp >= 0x400 && cp <= 0x52F) return SC_CYRILLIC;
        if (cp >= 0x4E00 && cp <= 0x9FFF) return SC_HAN;
        if (cp >= 0x600 && cp <= 0x6FF) return SC_ARABIC;
        if (cp >= 0x370 && cp < 0x1E00) return -1; /* scripts no template uses */
    }
    return SC_LATIN;
}

static int add_name(names_t *l, const gw_yaml_node_t *n) {
    if (n && n->kind == GW_YAML_MAP) n = gw_yaml_get(n, "text"); /* {text: .., case: true} */
    if (!n || n->kind != GW_YAML_SCALAR || !n->len) return GW_OK;
    int sc = script_of(n->str, n->len);
    if (sc < 0) return GW_OK;
    names_t *d = &l[sc];
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        char **v = gw_realloc(d->v, cap * sizeof(*v));
        if (!v) return GW_ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    if (!(d->v[d->n] = gw_strndup(n->str, n->len))) return GW_ENOMEM;
    d->n++;
    return GW_OK;
}

static int add_list(names_t *l, const gw_yaml_node_t *seq) {
    for (size_t i = 0; seq && seq->kind == GW_YAML_SEQ && i < seq->n; i++)
        if (add_name(l, seq->items[i]) != GW_OK) return GW_ENOMEM;
    return GW_OK;
}

static int read_people(bench_corpus_t *c, const char *path, char *err, size_t errlen) {
    gw_yaml_doc_t *d = gw_yaml_load(path, 0, err, errlen);
    if (!d) return GW_EINVAL;
    const gw_yaml_node_t *list = d->root ? gw_yaml_get(d->root, "people") : NULL;
    int rc = GW_OK;
    for (size_t i = 0; rc == GW_OK && list && i < list->n; i++)
        rc = add_list(c->people, gw_yaml_get(list->items[i], "names"));
    gw_yaml_free(d);
    return rc;
}

static int read_places(bench_corpus_t *c, const char *path, char *err, size_t errlen) {
    static const char *const keys[] = {"names", "demonyms", "capitals", NULL};
    gw_yaml_doc_t *d = gw_yaml_load(path, 0, err, errlen);
    if (!d) return GW_EINVAL;
    const gw_yaml_node_t *map = d->root ? gw_yaml_get(d->root, "countries") : NULL;
    int rc = GW_OK;
    for (size_t i = 0; rc == GW_OK && map && i < map->n; i++) {
        rc = add_name(c->places, gw_yaml_get(map->items[i], "display"));
        for (size_t k = 0; rc == GW_OK && keys[k]; k++)
            rc = add_list(c->places, gw_yaml_get(map->items[i], keys[k]));
    }
    gw_yaml_free(d);
    return rc;
}

void bench_corpus_free(bench_corpus_t *c) {
    if (!c) return;
    for (int s = 0; s < SC__COUNT; s++) {
        for (size_t i = 0; i < c->people[s].n; i++) free(c->people[s].v[i]);
        for (size_t i = 0; i < c->places[s].n; i++) free(c->places[s].v[i]);
        free(c->people[s].v);
        free(c->places[s].v);
    }
    free(c);
}

bench_corpus_t *bench_corpus_new(const gw_config_t *cfg, uint64_t seed, char *err, size_t errlen) {
    bench_corpus_t *c = gw_calloc(1, sizeof(*c));
    if (!c) { gw_err(err, errlen, GW_ENOMEM, "out of memory"); return NULL; }
    c->seed = seed;
    if (read_people(c, cfg->dict.people, err, errlen) ||
        read_places(c, cfg->dict.countries_overlay, err, errlen)) {
        bench_corpus_free(c);
        return NULL;
    }
    if (!c->people[SC_LATIN].n || !c->places[SC_LATIN].n) {
        gw_err(err, errlen, GW_EINVAL, "the dictionaries list no Latin-script people or places");
        bench_corpus_free(c);
        return NULL;
    }
    return c;
}

/* ---- items ------------------------------------------------------------- */

/* splitmix64: a stream per item, so item n does not depend on items < n. */
static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *pick(const names_t *l, int script, uint64_t *s) {
    const names_t *n = l[script].n ? &l[script] : &l[SC_LATIN];
    return n->v[next(s) % n->n];
}

static const char *const syll[] = {"ba", "ko", "ri", "ta", "me", "lu", "sa", "do", "ne", "vi",
                                   "ha", "pe", "zu", "mo", "ki", "ra", "te", "go", "li", "fa"};

void bench_synth_name(uint32_t i, char *out, size_t outlen) {
    /* The surname spells i in base 20 (unique below 20^4); the given name
     * is a hash of i, so names do not share long prefixes in order. */
    uint32_t h = i * 2654435761u;
    snprintf(out, outlen, "%s%s%s %s%s%s%s%s", syll[h % 20], syll[(h >> 8) % 20], "n",
             syll[(i / 8000) % 20], syll[(i / 400) % 20], syll[(i / 20) % 20], syll[i % 20], "k");
    out[0] = (char)(out[0] - 32);
    char *sp = strchr(out, ' ');
    if (sp && sp[1]) sp[1] = (char)(sp[1] - 32);
}

static void fill(bench_corpus_t *c, const lang_t *L, const char *tpl, uint64_t *s, gw_buf_t *b) {
    for (const char *p = tpl; *p; p++) {
        if (p[0] != '{' || !p[1] || p[2] != '}') { gw_buf_putc(b, *p); continue; }
        char name[64];
        const char *v = NULL;
        switch (p[1]) {
        case 'P': v = pick(c->people, L->script, s); break;
        case 'C': case 'Q': v = pick(c->places, L->script, s); break;
        case 'S': bench_synth_name((uint32_t)(next(s) % 100000), name, sizeof name); v = name; break;
        case 'N': snprintf(name, sizeof name, "%u", (unsigned)(next(s) % 900 + 12)); v = name; break;
        default: gw_buf_putc(b, *p); continue;
        }
        gw_buf_append(b, v, strlen(v));
        p += 2;
    }
}

static size_t count(const char *const *v) {
    size_t n = 0;
    while (v[n]) n++;
    return n;
}

int bench_corpus_item(bench_corpus_t *c, uint64_t n, gw_buf_t *b) {
    uint64_t s = c->seed ^ (n * 0xD1B54A32D192ED03ull);
    unsigned total = 0;
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) total += langs[i].weight;
    unsigned w = (unsigned)(next(&s) % total);
    const lang_t *L = langs;
    while (w >= L->weight) { w -= L->weight; L++; }
    /* log-uniform size in [512, 8192]: many short items, a long tail */
    double u = (double)(next(&s) >> 11) / 9007199254740992.0;
    size_t target = (size_t)(512.0 * __builtin_exp(u * __builtin_log(16.0)));

    gw_buf_t title, body;
    gw_buf_init(&title);
    gw_buf_init(&body);
    fill(c, L, L->titles[next(&s) % count(L->titles)], &s, &title);
    size_t ns = count(L->sentences), in_par = 0;
    if (L->script == SC_LATIN && next(&s) % 3 == 0) { /* a wire dateline */
        const char *place = pick(c->places, SC_LATIN, &s);
        for (const char *p = place; *p; p++)
            gw_buf_putc(&body, (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p);
        gw_buf_append(&body, " (Bench Wire) - ", 16);
    }
    while (body.len + title.len + 60 < target) {
        if (in_par && (in_par >= 4 || next(&s) % 3 == 0)) {
            gw_buf_append(&body, "\n\n", 2);
            in_par = 0;
        } else if (in_par && L->script != SC_HAN) { /* Chinese puts no space between sentences */
            gw_buf_putc(&body, ' ');
        }
        fill(c, L, L->sentences[next(&s) % ns], &s, &body);
        in_par++;
    }
    gw_buf_reset(b);
    gw_buf_printf(b, "{\"id\":\"bench-%llu\",\"title\":", (unsigned long long)n);
    gw_json_str(b, title.data, title.len);
    gw_buf_append(b, ",\"body\":", 8);
    gw_json_str(b, body.data, body.len);
    gw_buf_printf(b, ",\"source\":\"Bench Wire\",\"published_at\":\"2025-%02u-%02uT%02u:%02u:00Z\",\"lang\":\"%s\"}",
                  (unsigned)(next(&s) % 12 + 1), (unsigned)(next(&s) % 28 + 1), (unsigned)(next(&s) % 24),
                  (unsigned)(next(&s) % 60), L->lang);
    int oom = title.oom || body.oom || b->oom;
    gw_buf_free(&title);
    gw_buf_free(&body);
    return oom ? GW_ENOMEM : GW_OK;
}

/* ---- synthetic dictionaries -------------------------------------------- */

static int copy_file(FILE *out, const char *path) {
    FILE *in = fopen(path, "rb");
    if (!in) return GW_EIO;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    return GW_OK;
}

int bench_synth_dict(const gw_config_t *shipped, const char *dir, size_t n, char *cfg_path,
                     size_t cfg_len, char *err, size_t errlen) {
    static const char *const codes[] = {"MYS", "IDN", "SGP", "THA", "VNM", "PHL", "FRA", "DEU",
                                        "BRA", "KEN", "NGA", "EGY", "IND", "AUS", "CAN", "MEX"};
    char path[4096];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/people.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f) return gw_err(err, errlen, GW_EIO, "%s: cannot write", path);
    /* The shipped list comes first; people is its last key, so entries
     * appended at the same indentation extend that list. */
    if (copy_file(f, shipped->dict.people) != GW_OK) {
        fclose(f);
        return gw_err(err, errlen, GW_EIO, "%s: cannot read", shipped->dict.people);
    }
    for (size_t i = 0; i < n; i++) {
        char name[64];
        bench_synth_name((uint32_t)i, name, sizeof name);
        fprintf(f, "  - id: per:bench_%zu\n    name: %s\n    country: %s\n    names: [%s]\n"
                   "    short: [%s]\n    roles:\n      - {title: Minister, code: GOV, since: 2020-01-01}\n",
                i, name, codes[i % (sizeof codes / sizeof codes[0])], name, strchr(name, ' ') + 1);
    }
    if (fclose(f) != 0) return gw_err(err, errlen, GW_EIO, "%s: write failed", path);

    snprintf(cfg_path, cfg_len, "%s/geowire.yaml", dir);
    if (!(f = fopen(cfg_path, "w"))) return gw_err(err, errlen, GW_EIO, "%s: cannot write", cfg_path);
    const struct { const char *key, *path; } d[] = {
        {"countries", shipped->dict.countries}, {"countries_overlay", shipped->dict.countries_overlay},
        {"blocs", shipped->dict.blocs}, {"people", path},
        {"organizations", shipped->dict.organizations}, {"discards", shipped->dict.discards},
        {"themes", shipped->dict.themes}, {"languages", shipped->dict.languages},
        {"titles", shipped->dict.titles}};
    fprintf(f, "kafka:\n  brokers: embedded\n  group_id: bench\ndictionaries:\n");
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) fprintf(f, "  %s: \"%s\"\n", d[i].key, d[i].path);
    /* Every stage the shipped config runs, or the comparison flatters the
     * larger dictionary (the officials stage alone is 5 % of the chain). */
    if (shipped->dict.n_title_patterns) fprintf(f, "  title_patterns:\n");
    for (size_t i = 0; i < shipped->dict.n_title_patterns; i++)
        fprintf(f, "    - \"%s\"\n", shipped->dict.title_patterns[i]);
    if (shipped->alerts) fprintf(f, "alerts: \"%s\"\n", shipped->alerts);
    fprintf(f, "dedup:\n  window_items: %zu\n  window_seconds: %d\n  threshold: %.17g\n",
            shipped->dedup.window_items, shipped->dedup.window_seconds, shipped->dedup.threshold);
    fprintf(f, "aggregates:\n  window_seconds: %d\n  allowed_lateness_seconds: %d\n",
            shipped->aggregates.window_seconds, shipped->aggregates.lateness_seconds);
    fprintf(f, "log:\n  level: warn\n");
    if (fclose(f) != 0) return gw_err(err, errlen, GW_EIO, "%s: write failed", cfg_path);
    return GW_OK;
}
