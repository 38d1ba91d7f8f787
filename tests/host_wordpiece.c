/* WordPiece (BERT) on known sequences, with a small vocabulary written here: lower-casing, accent stripping,
 * punctuation and CJK splitting, "##" continuations, unknown words, control characters, the max word length,
 * counting with a short buffer, ill-formed UTF-8, and malformed vocabularies. Host only. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *VOCAB[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", ",", "world", "!",
                              "naive", "cafe", "\xe4\xbd\xa0", "\xe5\xa5\xbd", "Hello", "a", "##a", "'", "s", "\xe1\x84\x92",
                              "##\xe1\x85\xa1", "##\xe1\x86\xab"};
#define NV (sizeof VOCAB / sizeof VOCAB[0])

static int32_t id(const char *t) {
    for (size_t i = 0; i < NV; i++)
        if (strcmp(VOCAB[i], t) == 0) return (int32_t)i;
    return -2;
}

/* Tokenizes text and compares with the space-separated expected tokens. */
static void check(const vkattn_wordpiece *wp, const char *text, size_t len, const char *expect) {
    int32_t ids[64];
    size_t n = 0;
    vkattn_status st = vkattn_wordpiece_tokenize(wp, text, len, ids, 64, &n);
    char want[256];
    snprintf(want, sizeof want, "%s", expect);
    int32_t w[64];
    size_t nw = 0;
    for (char *t = strtok(want, " "); t; t = strtok(NULL, " ")) w[nw++] = id(t);
    int ok = st == VKATTN_OK && n == nw && memcmp(ids, w, n * sizeof *ids) == 0;
    if (!ok) {
        fprintf(stderr, "  got:");
        for (size_t i = 0; i < n && i < 64; i++) fprintf(stderr, " %s", vkattn_wordpiece_token(wp, ids[i]));
        fprintf(stderr, "\n");
    }
    CHECK(ok, "wordpiece(\"%.*s\") == \"%s\"", (int)len, text, expect);
}

static const char *write_vocab(const char *path, const char *const *tokens, size_t n, const char *eol) {
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s", tokens[i], eol);
    fclose(f);
    return path;
}

int main(void) {
    const char *path = write_vocab("host_wordpiece.vocab.txt", VOCAB, NV, "\r\n"); /* CRLF tolerated */
    CHECK(path != NULL, "writing the vocabulary");
    vkattn_wordpiece *wp = NULL, *cased = NULL;
    vkattn_wordpiece_desc d = {.vocab_path = path, .lower_case = 1, .strip_accents = -1};
    CHECK(vkattn_wordpiece_create(&d, &wp) == VKATTN_OK, "%s", vkattn_context_error(NULL));
    d.lower_case = 0, d.strip_accents = 0;
    CHECK(vkattn_wordpiece_create(&d, &cased) == VKATTN_OK, "%s", vkattn_context_error(NULL));
    CHECK(vkattn_wordpiece_vocab_size(wp) == NV, "%s", vkattn_context_error(NULL));
    CHECK(vkattn_wordpiece_find(wp, "##aff") == 5 && vkattn_wordpiece_find(wp, "nope") == -1, "find");

    check(wp, "unaffable", 9, "un ##aff ##able");
    check(wp, "Hello, World!", 13, "hello , world !");
    check(cased, "Hello, World!", 13, "Hello , [UNK] !");
    check(wp, "NA\xc3\x8fVE  caf\xc3\xa9\t", 14, "naive cafe");          /* accents stripped after lower-casing */
    check(cased, "caf\xc3\xa9", 5, "[UNK]");
    check(wp, "\xe4\xbd\xa0\xe5\xa5\xbd", 6, "\xe4\xbd\xa0 \xe5\xa5\xbd"); /* CJK ideographs are words */
    check(wp, "\xed\x95\x9c", 3, "\xe1\x84\x92 ##\xe1\x85\xa1 ##\xe1\x86\xab"); /* Hangul syllable -> L V T jamo */
    check(wp, "a's", 3, "a ' s");
    check(wp, "aaaa", 4, "a ##a ##a ##a");
    check(wp, "ab", 2, "[UNK]");                                          /* no full cover: the whole word */
    check(wp, "a\x01\xc2\xad" "a", 5, "a ##a");                             /* control and Cf dropped */
    check(wp, "a\xff\xfe" "a", 4, "a ##a");                                 /* ill-formed bytes dropped */
    check(wp, "", 0, "");
    check(wp, "hello\0world", 11, "[UNK]");                       /* NUL dropped: "helloworld" unknown */
    char longw[120];
    memset(longw, 'a', sizeof longw);
    check(wp, longw, 101, "[UNK]");
    char want[200] = "a";
    for (int i = 1; i < 40; i++) strcat(want, " ##a");
    check(wp, longw, 40, want); /* 40 characters: within max_chars_per_word */

    /* counting, and a short buffer */
    size_t n = 0;
    CHECK(vkattn_wordpiece_tokenize(wp, "hello world", 11, NULL, 0, &n) == VKATTN_ERROR_INVALID_ARGUMENT && n == 2, "count %zu", n);
    int32_t one[1];
    CHECK(vkattn_wordpiece_tokenize(wp, "hello world", 11, one, 1, &n) == VKATTN_ERROR_INVALID_ARGUMENT && n == 2, "short buffer %zu", n);
    CHECK(vkattn_wordpiece_tokenize(wp, NULL, 3, one, 1, &n) == VKATTN_ERROR_INVALID_ARGUMENT, "%s", vkattn_context_error(NULL));

    /* malformed vocabularies */
    vkattn_wordpiece *bad = NULL;
    d.vocab_path = "host_wordpiece.missing.txt";
    CHECK(vkattn_wordpiece_create(&d, &bad) == VKATTN_ERROR_IO && bad == NULL, "%s", vkattn_context_error(NULL));
    const char *no_unk[] = {"a", "b"};
    d.vocab_path = write_vocab("host_wordpiece.nounk.txt", no_unk, 2, "\n");
    CHECK(vkattn_wordpiece_create(&d, &bad) == VKATTN_ERROR_FORMAT && strstr(vkattn_context_error(NULL), "[UNK]"), "%s", vkattn_context_error(NULL));
    d.vocab_path = write_vocab("host_wordpiece.empty.txt", no_unk, 0, "\n");
    CHECK(vkattn_wordpiece_create(&d, &bad) == VKATTN_ERROR_FORMAT, "%s", vkattn_context_error(NULL));
    CHECK(vkattn_wordpiece_create(NULL, &bad) == VKATTN_ERROR_INVALID_ARGUMENT, "%s", vkattn_context_error(NULL));
    vkattn_wordpiece_destroy(NULL);
    vkattn_wordpiece_destroy(wp), vkattn_wordpiece_destroy(cased);
    remove("host_wordpiece.vocab.txt"), remove("host_wordpiece.nounk.txt"), remove("host_wordpiece.empty.txt");
    return th_finish(NULL);
}
