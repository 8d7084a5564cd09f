/* Tests for lang.c against the shipped config/dictionaries/languages.yaml.
 * All sample sentences are written for these tests. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "geowire/common.h"
#include "geowire/lang.h"

static gw_langid_t *L;
static void setup(void) {
    char err[GW_ERRLEN] = "";
    L = gw_lang_load("config/dictionaries/languages.yaml", err, sizeof err);
    cr_assert_not_null(L, "load failed: %s", err);
}
static void teardown(void) { gw_lang_free(L); }
TestSuite(lang, .init = setup, .fini = teardown);

static const char *det(const char *s) { return gw_lang_detect(L, s, strlen(s), NULL); }

Test(lang, english) {
    cr_assert_str_eq(det("The minister said that the talks with the delegation would resume after the holiday."), "en");
}

Test(lang, malay_vs_indonesian) {
    cr_assert_str_eq(det("Menteri itu berkata bahawa kerajaan akan menambah peruntukan kerana "
                         "harga barang naik, dan rakyat boleh memohon bantuan sahaja."), "ms");
    cr_assert_str_eq(det("Menteri itu mengatakan bahwa pemerintah akan menambah anggaran karena "
                         "harga barang naik, dan warga bisa mengajukan bantuan saja."), "id");
    /* Only shared words: no way to tell. */
    cr_assert_str_eq(det("Mereka sudah ada di dalam dengan kami untuk itu."), "und");
}

Test(lang, european) {
    cr_assert_str_eq(det("Der Minister sagte, dass die Gespräche mit der Regierung im Winter weitergehen werden."), "de");
    cr_assert_str_eq(det("Le ministre a déclaré que les discussions avec le gouvernement reprendront dans la semaine."), "fr");
    cr_assert_str_eq(det("El ministro dijo que las conversaciones con el gobierno seguirán después de las fiestas."), "es");
    cr_assert_str_eq(det("Il ministro ha detto che i colloqui con il governo riprenderanno dopo le feste."), "it");
    cr_assert_str_eq(det("O ministro disse que as conversas com o governo vão continuar após o feriado."), "pt");
    cr_assert_str_eq(det("De minister zei dat de gesprekken met de regering na de feestdagen worden hervat."), "nl");
    cr_assert_str_eq(det("Sinabi ng ministro na ang mga pag-uusap ay magpapatuloy sa susunod na linggo."), "tl");
}

Test(lang, scripts) {
    /* "Министр заявил, что переговоры продолжатся." */
    cr_assert_str_eq(det("\xd0\x9c\xd0\xb8\xd0\xbd\xd0\xb8\xd1\x81\xd1\x82\xd1\x80 \xd0\xb7\xd0\xb0\xd1\x8f"
                         "\xd0\xb2\xd0\xb8\xd0\xbb, \xd1\x87\xd1\x82\xd0\xbe \xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5"
                         "\xd0\xb3\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x80\xd1\x8b \xd0\xbf\xd1\x80\xd0\xbe\xd0\xb4"
                         "\xd0\xbe\xd0\xbb\xd0\xb6\xd0\xb0\xd1\x82\xd1\x81\xd1\x8f."), "ru");
    /* "Міністр заявив, що переговори триватимуть у її столиці." */
    cr_assert_str_eq(det("\xd0\x9c\xd1\x96\xd0\xbd\xd1\x96\xd1\x81\xd1\x82\xd1\x80 \xd0\xb7\xd0\xb0\xd1\x8f"
                         "\xd0\xb2\xd0\xb8\xd0\xb2, \xd1\x89\xd0\xbe \xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd0\xb3"
                         "\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x80\xd0\xb8 \xd1\x82\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb0"
                         "\xd1\x82\xd0\xb8\xd0\xbc\xd1\x83\xd1\x82\xd1\x8c \xd1\x83 \xd1\x97\xd1\x97 "
                         "\xd1\x81\xd1\x82\xd0\xbe\xd0\xbb\xd0\xb8\xd1\x86\xd1\x96."), "uk");
    /* 外交部长今天表示会谈将继续。 */
    cr_assert_str_eq(det("\xe5\xa4\x96\xe4\xba\xa4\xe9\x83\xa8\xe9\x95\xbf\xe4\xbb\x8a\xe5\xa4\xa9\xe8\xa1\xa8"
                         "\xe7\xa4\xba\xe4\xbc\x9a\xe8\xb0\x88\xe5\xb0\x86\xe7\xbb\xa7\xe7\xbb\xad\xe3\x80\x82"), "zh");
    /* 外務大臣は会談を続けると述べた。 */
    cr_assert_str_eq(det("\xe5\xa4\x96\xe5\x8b\x99\xe5\xa4\xa7\xe8\x87\xa3\xe3\x81\xaf\xe4\xbc\x9a\xe8\xab\x87"
                         "\xe3\x82\x92\xe7\xb6\x9a\xe3\x81\x91\xe3\x82\x8b\xe3\x81\xa8\xe8\xbf\xb0\xe3\x81\xb9"
                         "\xe3\x81\x9f\xe3\x80\x82"), "ja");
    /* 장관은 회담이 계속된다고 말했다. */
    cr_assert_str_eq(det("\xec\x9e\xa5\xea\xb4\x80\xec\x9d\x80 \xed\x9a\x8c\xeb\x8b\xb4\xec\x9d\xb4 "
                         "\xea\xb3\x84\xec\x86\x8d\xeb\x90\x9c\xeb\x8b\xa4\xea\xb3\xa0 "
                         "\xeb\xa7\x90\xed\x96\x88\xeb\x8b\xa4."), "ko");
    /* รัฐมนตรีกล่าวว่า */
    cr_assert_str_eq(det("\xe0\xb8\xa3\xe0\xb8\xb1\xe0\xb8\x90\xe0\xb8\xa1\xe0\xb8\x99\xe0\xb8\x95\xe0\xb8\xa3"
                         "\xe0\xb8\xb5\xe0\xb8\x81\xe0\xb8\xa5\xe0\xb9\x88\xe0\xb8\xb2\xe0\xb8\xa7\xe0\xb8\xa7"
                         "\xe0\xb9\x88\xe0\xb8\xb2"), "th");
    /* قال الوزير */
    cr_assert_str_eq(det("\xd9\x82\xd8\xa7\xd9\x84 \xd8\xa7\xd9\x84\xd9\x88\xd8\xb2\xd9\x8a\xd8\xb1"), "ar");
    /* השר אמר */
    cr_assert_str_eq(det("\xd7\x94\xd7\xa9\xd7\xa8 \xd7\x90\xd7\x9e\xd7\xa8"), "he");
    /* "Bộ trưởng nói rằng cuộc đàm phán sẽ tiếp tục." */
    cr_assert_str_eq(det("B\xe1\xbb\x99 tr\xc6\xb0\xe1\xbb\x9fng n\xc3\xb3i r\xe1\xba\xb1ng cu\xe1\xbb\x99" "c "
                         "\xc4\x91\xc3\xa0m ph\xc3\xa1n s\xe1\xba\xbd ti\xe1\xba\xbfp t\xe1\xbb\xa5" "c."), "vi");
}

Test(lang, english_with_foreign_names_stays_english) {
    cr_assert_str_eq(det("The envoy met Nguy\xe1\xbb\x85n in Hanoi and said the talks were useful for the region."), "en");
    cr_assert_str_eq(det("The leader \xe4\xb9\xa0\xe8\xbf\x91\xe5\xb9\xb3 was in the city for a visit with his staff and the press."), "en");
}

Test(lang, too_short_or_empty) {
    cr_assert_str_eq(det(""), "und");
    cr_assert_str_eq(det("    "), "und");
    cr_assert_str_eq(det("Kuala Lumpur"), "und");
    cr_assert_str_eq(det("12345 678"), "und");
    double c = 5;
    cr_assert_str_eq(gw_lang_detect(L, "the", 3, &c), "und");
    cr_assert_float_eq(c, 0.0, 1e-9);
}

Test(lang, confidence_range) {
    double c = -1;
    const char *s = "The report of the committee was published on the website of the ministry.";
    cr_assert_str_eq(gw_lang_detect(L, s, strlen(s), &c), "en");
    cr_assert_gt(c, 0.5);
    cr_assert_leq(c, 1.0);
}

/* The lookup passes over words longer than the longest listed one: the
 * longest (ten bytes) must still count, a longer word built on one must
 * not. Three hits decide; with one of them missed the text is "und". */
Test(lang, longest_stopwords_count) {
    cr_assert_str_eq(det("setiausaha sekiranya setiausaha"), "ms");
    cr_assert_str_eq(det("pemerintah sekretaris pemerintah"), "id");
    cr_assert_str_eq(det("setiausahaa sekiranya setiausahaa"), "und");
}

Test(lang, known_codes) {
    cr_assert(gw_lang_known(L, "en"));
    cr_assert(gw_lang_known(L, "ms"));
    cr_assert(gw_lang_known(L, "ru"));
    cr_assert(gw_lang_known(L, "vi"));
    cr_assert(gw_lang_known(L, "und"));
    cr_assert_not(gw_lang_known(L, "xx"));
    cr_assert_not(gw_lang_known(L, "pl"));
}

static void write_file(const char *path, const char *body) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(body, f);
    fclose(f);
}

Test(lang_load, errors_have_positions) {
    char err[GW_ERRLEN] = "";
    const char *p = "build/test_lang_bad.yaml";
    write_file(p, "version: \"1\"\nas_of: 2026-11-27\nlanguages:\n  en: [the, of]\n  xq: [foo]\n");
    cr_assert_null(gw_lang_load(p, err, sizeof err));
    cr_assert(strstr(err, "test_lang_bad.yaml:5:"), "got: %s", err);
    write_file(p, "version: \"1\"\nas_of: 2026-11-27\nlanguages:\n  en: [the, two words]\n");
    cr_assert_null(gw_lang_load(p, err, sizeof err));
    cr_assert(strstr(err, ":4:"), "got: %s", err);
    write_file(p, "version: \"1\"\nas_of: 2026-11-27\nlangs: {}\n");
    cr_assert_null(gw_lang_load(p, err, sizeof err));
    cr_assert(strstr(err, "langs"), "got: %s", err);
    cr_assert_null(gw_lang_load("build/does-not-exist.yaml", err, sizeof err));
    remove(p);
}
