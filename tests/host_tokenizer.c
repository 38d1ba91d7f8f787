/* Host-only: tokenizers on small hand-built vocabularies with token sequences worked out by hand
 * (merge order, score priority and ties, byte fallback, special tokens, BOS/EOS), UTF-8 decoding and the
 * Unicode class table, the pre-tokenizers' splits, exact round trips of random bytes (invalid UTF-8 and
 * NULs included), the streaming detokenizer (split characters, U+FFFD, short buffers) and bad input.
 * tests/py_tokenizer.py compares against independent Python implementations on trained vocabularies. */
#include "harness.h"
#include "tokenizers/tokenizer.h"

#include <string.h>
#include <time.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- building vocabularies ----------------------------------------------------------------------- */

typedef struct vocab {
    char text[1024][16];
    const char *ptr[1024];
    float score[1024];
    int32_t type[1024];
    uint32_t n;
} vocab;

static int32_t add(vocab *v, const char *s, float score, int32_t type) {
    snprintf(v->text[v->n], sizeof v->text[0], "%s", s);
    v->ptr[v->n] = v->text[v->n];
    v->score[v->n] = score;
    v->type[v->n] = type;
    return (int32_t)v->n++;
}

/* GPT-2's bytes_to_unicode, written out as OpenAI's encoder.py does (independent of utf8.c). */
static uint32_t gpt2_cp(int b) {
    int n = 0;
    for (int x = 0; x < 256; x++) {
        int keep = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
        if (x == b) return keep ? (uint32_t)x : 256u + (uint32_t)n;
        if (!keep) n++;
    }
    return 0;
}

static void put_cp(char *out, uint32_t cp) { /* NUL-terminated UTF-8 of cp < 0x800 */
    if (cp < 0x80) {
        out[0] = (char)cp;
        out[1] = 0;
    } else {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        out[2] = 0;
    }
}

/* Byte-level BPE: 256 byte tokens, merges building "hello", " world", "aa", and special tokens. */
static const char *bpe_merges[] = {"h e", "l l", "he ll", "hell o", "\xc4\xa0 w", "o r", "\xc4\xa0w or", "\xc4\xa0wor l",
                                   "\xc4\xa0worl d", "a a"};
static vkattn_tokenizer *bpe_tok(vocab *v, const char *pre, int add_bos) {
    v->n = 0;
    for (int b = 0; b < 256; b++) {
        char s[4];
        put_cp(s, gpt2_cp(b));
        add(v, s, 0, VKATTN_TOKEN_NORMAL);
    }
    for (size_t i = 0; i < N_OF(bpe_merges); i++) {
        char s[16];
        const char *sp = strchr(bpe_merges[i], ' ');
        snprintf(s, sizeof s, "%.*s%s", (int)(sp - bpe_merges[i]), bpe_merges[i], sp + 1);
        add(v, s, 0, VKATTN_TOKEN_NORMAL);
    }
    add(v, "<|endoftext|>", 0, VKATTN_TOKEN_NORMAL); /* typed control by the tokenizer (an EOG text) */
    add(v, "<|im_start|>", 0, VKATTN_TOKEN_CONTROL);
    add(v, "<tool>", 0, VKATTN_TOKEN_USER_DEFINED);
    vkattn_tokenizer_desc d;
    vkattn_tokenizer_desc_default(&d);
    d.model = "gpt2";
    d.pre = pre;
    d.n_vocab = v->n;
    d.tokens = v->ptr;
    d.token_types = v->type;
    d.n_merges = N_OF(bpe_merges);
    d.merges = bpe_merges;
    d.bos_id = d.eos_id = 266;                               /* <|endoftext|> */
    d.add_bos = add_bos;
    vkattn_tokenizer *t = NULL;
    CHECK_OK(NULL, vkattn_tokenizer_create(&d, &t));
    return t;
}

/* SentencePiece: <unk> <s> </s>, 256 byte tokens, characters, and scored merges. */
static vkattn_tokenizer *spm_tok(vocab *v, int add_space_prefix, int add_eos) {
    static const struct { const char *s; float score; } pieces[] = {
        {"\xe2\x96\x81", -100}, {"h", -100}, {"e", -100}, {"l", -100}, {"o", -100}, {"a", -100}, {"b", -100},
        {"c", -100}, {"\xc3\xa9", -100}, /* é */
        {"ll", -1}, {"lo", -2}, {"el", -3}, {"llo", -4}, {"\xe2\x96\x81h", -5}, {"\xe2\x96\x81he", -6},
        {"ello", -8}, {"ab", -10}, {"bc", -10}, {"\xe2\x96\x81\xe2\x96\x81", -20}};
    v->n = 0;
    add(v, "<unk>", 0, VKATTN_TOKEN_UNKNOWN);
    add(v, "<s>", 0, VKATTN_TOKEN_CONTROL);
    add(v, "</s>", 0, VKATTN_TOKEN_CONTROL);
    for (int b = 0; b < 256; b++) {
        char s[8];
        snprintf(s, sizeof s, "<0x%02X>", b);
        add(v, s, 0, VKATTN_TOKEN_BYTE);
    }
    for (size_t i = 0; i < N_OF(pieces); i++) add(v, pieces[i].s, pieces[i].score, VKATTN_TOKEN_NORMAL);
    add(v, "<|user|>", 0, VKATTN_TOKEN_USER_DEFINED);
    vkattn_tokenizer_desc d;
    vkattn_tokenizer_desc_default(&d);
    d.model = "llama";
    d.n_vocab = v->n;
    d.tokens = v->ptr;
    d.scores = v->score;
    d.token_types = v->type;
    d.bos_id = 1;
    d.eos_id = 2;
    d.unknown_id = 0;
    d.add_space_prefix = add_space_prefix;
    d.add_eos = add_eos;
    vkattn_tokenizer *t = NULL;
    CHECK_OK(NULL, vkattn_tokenizer_create(&d, &t));
    return t;
}

static int32_t id_of(const vkattn_tokenizer *t, const char *s) { return vkattn_tokenizer_find(t, s, strlen(s)); }

/* Tokenizes s and compares with the expected token texts (NULL-terminated list). */
static void expect_tokens(const vkattn_tokenizer *t, const char *s, int add_special, int parse_special,
                          const char *const *want) {
    int32_t ids[256];
    size_t n = 0, nw = 0;
    CHECK_OK(NULL, vkattn_tokenize(t, s, strlen(s), add_special, parse_special, ids, N_OF(ids), &n));
    while (want[nw]) nw++;
    int ok = n == nw;
    for (size_t i = 0; ok && i < n; i++) ok = ids[i] == id_of(t, want[i]);
    CHECK(ok, "\"%s\" (add_special %d, parse_special %d): got %zu tokens, want %zu", s, add_special, parse_special, n, nw);
    if (!ok)
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const char *txt = vkattn_tokenizer_token_text(t, ids[i], &len);
            fprintf(stderr, "  [%zu] %d \"%.*s\"\n", i, ids[i], (int)len, txt);
        }
}
#define EXPECT(t, s, as, ps, ...) expect_tokens(t, s, as, ps, (const char *const[]){__VA_ARGS__, NULL})

/* ---- UTF-8, classes, byte map ----------------------------------------------------------------------- */

static void test_utf8(void) {
    static const struct { const char *s; size_t n; int want; uint32_t cp; } cases[] = {
        {"A", 1, 1, 'A'}, {"\xc3\xa9", 2, 2, 0xE9}, {"\xe2\x82\xac", 3, 3, 0x20AC}, {"\xf0\x9f\x98\x80", 4, 4, 0x1F600},
        {"\xf4\x8f\xbf\xbf", 4, 4, 0x10FFFF}, {"\xe2\x82", 2, 0, 0}, {"\xf0\x9f\x98", 3, 0, 0}, {"\xe2\x41", 2, -1, 0},
        {"\xc0\x80", 2, -1, 0}, {"\xc1\xbf", 2, -1, 0}, {"\xed\xa0\x80", 3, -1, 0}, {"\xf4\x90\x80\x80", 4, -1, 0},
        {"\xf0\x80\x80\x80", 4, -1, 0}, {"\xe0\x80\x80", 3, -1, 0}, {"\x80", 1, -1, 0}, {"\xff", 1, -1, 0},
        {"\xf0\x9f\x41", 3, -2, 0}, {"\xe2\x82\x41", 3, -2, 0}};
    for (size_t i = 0; i < N_OF(cases); i++) {
        uint32_t cp = 0;
        int k = vkattn__utf8_next((const uint8_t *)cases[i].s, cases[i].n, &cp);
        CHECK(k == cases[i].want && (k <= 0 || cp == cases[i].cp), "utf8 case %zu: %d U+%04X, want %d U+%04X", i, k, cp,
              cases[i].want, cases[i].cp);
    }
    /* every code point encodes and decodes back (surrogates excluded) */
    int bad = 0;
    for (uint32_t c = 0; c <= 0x10FFFF; c++) {
        if (c >= 0xD800 && c < 0xE000) continue;
        char buf[4];
        uint32_t back = 0;
        size_t len = vkattn__utf8_put(c, buf);
        bad += vkattn__utf8_next((const uint8_t *)buf, len, &back) != (int)len || back != c;
    }
    CHECK(bad == 0, "%d code points do not survive encode/decode", bad);

    static const struct { uint32_t cp; int cls; } classes[] = {
        {'a', VKATTN__CLS_LETTER}, {'Z', VKATTN__CLS_LETTER}, {0xE9, VKATTN__CLS_LETTER}, {0xDF, VKATTN__CLS_LETTER},
        {0x4E2D, VKATTN__CLS_LETTER} /* 中 */, {0x30AB, VKATTN__CLS_LETTER} /* カ */, {0x0915, VKATTN__CLS_LETTER},
        {'7', VKATTN__CLS_NUMBER}, {0x663, VKATTN__CLS_NUMBER} /* ٣ */, {0xB2, VKATTN__CLS_NUMBER} /* ² */,
        {0xBD, VKATTN__CLS_NUMBER} /* ½ */, {0x216B, VKATTN__CLS_NUMBER} /* Ⅻ */, {' ', VKATTN__CLS_SPACE},
        {'\n', VKATTN__CLS_SPACE}, {0xA0, VKATTN__CLS_SPACE}, {0x3000, VKATTN__CLS_SPACE}, {0x2028, VKATTN__CLS_SPACE},
        {0x1C, VKATTN__CLS_OTHER} /* not White_Space */, {0x301, VKATTN__CLS_OTHER} /* combining mark */,
        {0x93F, VKATTN__CLS_OTHER} /* Devanagari vowel sign (Mc) */, {'!', VKATTN__CLS_PUNCT},
        {0x3002, VKATTN__CLS_PUNCT} /* 。 */, {'$', VKATTN__CLS_OTHER} /* symbol */,
        {0x1F600, VKATTN__CLS_OTHER}, {0x200D, VKATTN__CLS_OTHER}, {0x10FFFF, VKATTN__CLS_OTHER},
        {0x20000, VKATTN__CLS_LETTER} /* CJK extension B */};
    for (size_t i = 0; i < N_OF(classes); i++)
        CHECK(vkattn__unicode_class(classes[i].cp) == classes[i].cls, "class of U+%04X: %d, want %d", classes[i].cp,
              vkattn__unicode_class(classes[i].cp), classes[i].cls);

    int map_bad = 0;
    for (int b = 0; b < 256; b++)
        map_bad += vkattn__byte_to_cp((uint8_t)b) != gpt2_cp(b) || vkattn__cp_to_byte(gpt2_cp(b)) != b;
    CHECK(map_bad == 0, "%d bytes differ from GPT-2's bytes_to_unicode", map_bad);
    CHECK(vkattn__byte_to_cp(' ') == 0x120 && vkattn__byte_to_cp('\n') == 0x10A, "Ġ and Ċ");
    CHECK(vkattn__cp_to_byte(0x144) == -1 && vkattn__cp_to_byte(0x20) == -1 && vkattn__cp_to_byte(0xAD) == -1,
          "code points that are no byte's image");
}

/* ---- pre-tokenizers ----------------------------------------------------------------------------------- */

static void expect_split(int pre, const char *s, size_t n, const char *const *want) {
    vkattn__enc e = {0};
    CHECK_OK(NULL, vkattn__pretokenize(&e, pre, s, n));
    size_t nw = 0, start = 0;
    while (want[nw]) nw++;
    int ok = e.n_ends == nw && (nw == 0 || e.ends[nw - 1] == n);
    for (size_t i = 0; ok && i < nw; i++) {
        ok = e.ends[i] - start == strlen(want[i]) && memcmp(s + start, want[i], strlen(want[i])) == 0;
        start = e.ends[i];
    }
    CHECK(ok, "pre-tokenizer %d on \"%s\": %zu words, want %zu", pre, s, e.n_ends, nw);
    if (!ok)
        for (size_t i = 0, b = 0; i < e.n_ends; b = e.ends[i++]) fprintf(stderr, "  [%.*s]\n", (int)(e.ends[i] - b), s + b);
    vkattn__enc_free(&e);
}
#define SPLIT(pre, s, ...) expect_split(pre, s, sizeof(s) - 1, (const char *const[]){__VA_ARGS__, NULL})

static void test_pretokenizers(void) {
    SPLIT(VKATTN__PRE_GPT2, "Hello world's  12345 !!  \n", "Hello", " world", "'s", " ", " 12345", " !!", "  \n");
    SPLIT(VKATTN__PRE_GPT2, "a\xff" "b c\xe2\x82", "a", "\xff", "b", " c", "\xe2\x82");
    SPLIT(VKATTN__PRE_GPT2, "x\tyz  \t\n", "x", "\t", "yz", "  \t\n");
    SPLIT(VKATTN__PRE_GPT2, "caf\xc3\xa9 e\xcc\x81t\xc3\xa9", "caf\xc3\xa9", " e", "\xcc\x81", "t\xc3\xa9");
    SPLIT(VKATTN__PRE_GPT2, "I'LL don't", "I", "'", "LL", " don", "'t");
    SPLIT(VKATTN__PRE_LLAMA3, "I'LL 12345 x'The", "I", "'LL", " ", "123", "45", " x", "'T", "he");
    SPLIT(VKATTN__PRE_LLAMA3, "Hi\r\n\r\n  there...\n", "Hi", "\r\n\r\n", " ", " there", "...\n");
    SPLIT(VKATTN__PRE_QWEN2, "ab 123", "ab", " ", "1", "2", "3");
    SPLIT(VKATTN__PRE_SMOLLM, "ab12 cd 3", "ab", "1", "2", " cd", " ", "3");
    /* llama.cpp's default chain: punctuation runs, GPT-2, number runs, ASCII digit triples */
    SPLIT(VKATTN__PRE_DEFAULT, "Hello, world 12345!", "Hello", ",", " world", " ", "123", "45", "!");
    SPLIT(VKATTN__PRE_DEFAULT, "x`!\xe3\x80\x82" "c", "x", "`", "!\xe3\x80\x82", "c"); /* ` is no punctuation, 。 is */
    SPLIT(VKATTN__PRE_FALCON, "x`! 1234", "x", "`!", " ", "123", "4");
    vkattn__enc e = {0};
    CHECK_OK(NULL, vkattn__pretokenize(&e, VKATTN__PRE_GPT2, "", 0));
    CHECK(e.n_ends == 0, "empty text has no words");
    vkattn__enc_free(&e);
}

/* ---- tokenizing ------------------------------------------------------------------------------------------ */

static void test_bpe(void) {
    vocab v;
    vkattn_tokenizer *t = bpe_tok(&v, "gpt2", -1);
    if (!t) return;
    EXPECT(t, "hello world", 1, 0, "hello", "\xc4\xa0world");
    EXPECT(t, "hello worlds hell", 1, 0, "hello", "\xc4\xa0world", "s", "\xc4\xa0", "hell");
    EXPECT(t, "aaa aaaa", 1, 0, "aa", "a", "\xc4\xa0", "aa", "aa"); /* leftmost first */
    EXPECT(t, "\xc3\xa9!", 1, 0, "\xc3\x83", "\xc2\xa9", "!");   /* é: bytes C3 A9 -> Ã © */
    EXPECT(t, "hello<|endoftext|>", 1, 1, "hello", "<|endoftext|>");
    EXPECT(t, "hello<|endoftext|>", 1, 0, "hello", "<", "|", "e", "n", "d", "o", "f", "t", "e", "x", "t", "|", ">");
    EXPECT(t, "<tool>hello", 1, 0, "<tool>", "hello"); /* user-defined: always */
    EXPECT(t, "<|im_start|><tool>", 1, 1, "<|im_start|>", "<tool>");
    CHECK(vkattn_tokenizer_token_type(t, id_of(t, "<|endoftext|>")) == VKATTN_TOKEN_CONTROL, "EOG text typed control");
    CHECK(vkattn_tokenizer_is_eog(t, id_of(t, "<|endoftext|>")) && !vkattn_tokenizer_is_eog(t, id_of(t, "hello")),
          "is_eog");
    vkattn_tokenizer_info info;
    vkattn_tokenizer_get_info(t, &info);
    CHECK(info.add_bos == 0 && info.add_eos == 0 && info.n_merges == N_OF(bpe_merges) && strcmp(info.pre, "gpt2") == 0,
          "gpt2 defaults: no BOS/EOS");

    /* piece decoding */
    char buf[32];
    size_t n = 0;
    CHECK_OK(NULL, vkattn_token_to_piece(t, id_of(t, "\xc4\xa0world"), 0, buf, sizeof buf, &n));
    CHECK(n == 6 && memcmp(buf, " world", 6) == 0, "piece of Ġworld");
    CHECK_OK(NULL, vkattn_token_to_piece(t, id_of(t, "<|endoftext|>"), 0, buf, sizeof buf, &n));
    CHECK(n == 0, "control token without special: nothing");
    CHECK_OK(NULL, vkattn_token_to_piece(t, id_of(t, "<|endoftext|>"), 1, buf, sizeof buf, &n));
    CHECK(n == 13 && memcmp(buf, "<|endoftext|>", 13) == 0, "control token with special: its text");
    CHECK_STATUS(NULL, vkattn_token_to_piece(t, id_of(t, "hello"), 0, buf, 3, &n), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(n == 5, "short buffer reports the size needed (%zu)", n);
    CHECK_STATUS(NULL, vkattn_token_to_piece(t, (int32_t)v.n, 0, buf, sizeof buf, &n), VKATTN_ERROR_INVALID_ARGUMENT);

    /* capacity */
    int32_t ids[4];
    CHECK_STATUS(NULL, vkattn_tokenize(t, "hello world aaa", 15, 1, 0, ids, 2, &n), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(n == 5, "short ids reports the count needed (%zu)", n);
    CHECK(strstr(vkattn_context_error(NULL), "5 tokens") != NULL, "message: %s", vkattn_context_error(NULL));
    CHECK_STATUS(NULL, vkattn_tokenize(t, "hello world aaa", 15, 1, 0, NULL, 0, &n), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(n == 5, "counting with ids NULL (%zu)", n);
    CHECK_OK(NULL, vkattn_tokenize(t, "", 0, 1, 1, NULL, 0, &n));
    CHECK(n == 0, "empty text, no BOS: no tokens");
    vkattn_tokenizer_destroy(t);

    /* Llama-3 pre-tokenizer: BOS by default */
    t = bpe_tok(&v, "llama-bpe", -1);
    if (!t) return;
    EXPECT(t, "hello", 1, 0, "<|endoftext|>", "hello");
    EXPECT(t, "hello", 0, 0, "hello");
    vkattn_tokenizer_destroy(t);
}

static void test_spm(void) {
    vocab v;
    vkattn_tokenizer *t = spm_tok(&v, -1, -1);
    if (!t) return;
    /* ▁ h e l l o: ll(-1), then llo(-4), ▁h(-5), ▁he(-6); "ello"(-8) loses to ▁h; no ▁hello token */
    EXPECT(t, "hello", 0, 0, "\xe2\x96\x81he", "llo");
    EXPECT(t, "hello", 1, 0, "<s>", "\xe2\x96\x81he", "llo");
    EXPECT(t, "abc", 0, 0, "\xe2\x96\x81", "ab", "c");        /* ab and bc tie: leftmost */
    EXPECT(t, "h\xe2\x82\xac", 0, 0, "\xe2\x96\x81h", "<0xE2>", "<0x82>", "<0xAC>"); /* € by bytes */
    EXPECT(t, "  h", 0, 0, "\xe2\x96\x81\xe2\x96\x81", "\xe2\x96\x81h");
    EXPECT(t, "\xc3\xa9", 0, 0, "\xe2\x96\x81", "\xc3\xa9");
    EXPECT(t, "\xff" "a", 0, 0, "\xe2\x96\x81", "<0xFF>", "a"); /* an invalid byte is one symbol: byte token */
    EXPECT(t, "\xf0 h", 0, 0, "\xe2\x96\x81", "<0xF0>", "\xe2\x96\x81h"); /* and does not swallow the space */
    EXPECT(t, "h<s>h", 0, 1, "\xe2\x96\x81h", "<s>", "\xe2\x96\x81h"); /* dummy prefix after a special token */
    EXPECT(t, "h<|user|>h", 0, 0, "\xe2\x96\x81h", "<|user|>", "\xe2\x96\x81h");
    EXPECT(t, "", 1, 0, "<s>");
    vkattn_tokenizer_info info;
    vkattn_tokenizer_get_info(t, &info);
    CHECK(info.add_bos == 1 && info.add_eos == 0 && info.add_space_prefix == 1 && strcmp(info.model, "llama") == 0,
          "llama defaults: BOS, space prefix");
    char buf[8];
    size_t n;
    CHECK_OK(NULL, vkattn_token_to_piece(t, id_of(t, "<0x41>"), 0, buf, sizeof buf, &n));
    CHECK(n == 1 && buf[0] == 'A', "byte token decodes to its byte");
    CHECK_OK(NULL, vkattn_token_to_piece(t, id_of(t, "\xe2\x96\x81he"), 0, buf, sizeof buf, &n));
    CHECK(n == 3 && memcmp(buf, " he", 3) == 0, "U+2581 decodes to a space");
    CHECK_OK(NULL, vkattn_token_to_piece(t, 0, 0, buf, sizeof buf, &n));
    CHECK(n == 0, "unknown token without special: nothing");
    vkattn_tokenizer_destroy(t);

    t = spm_tok(&v, 0, 1);
    if (!t) return;
    EXPECT(t, "hello", 1, 0, "<s>", "h", "ello", "</s>"); /* no prefix: ll, llo, then ello (h+ello is no token) */
    vkattn_tokenizer_destroy(t);
}

/* ---- round trips and streaming ------------------------------------------------------------------------ */

static uint64_t rng = 12345;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Random text: ASCII, spaces, multi-byte characters and (if raw) arbitrary bytes. */
static size_t random_text(char *s, size_t max, int raw) {
    static const char *const parts[] = {"a", "h", "e", "l", "o", " ", "  ", "\n", "\xc3\xa9", "\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80", "1", "23", "'s", "<tool>", "<|user|>", "\t"};
    size_t n = 0, len = rnd((uint32_t)max / 4);
    while (n + 4 < max && len--) {
        if (raw && rnd(4) == 0) {
            s[n++] = (char)rnd(256);
            continue;
        }
        const char *p = parts[rnd(N_OF(parts))];
        memcpy(s + n, p, strlen(p));
        n += strlen(p);
    }
    return n;
}

static int has_lower_block(const char *s, size_t n) { /* U+2581 decodes as a space in SentencePiece */
    for (size_t i = 0; i + 2 < n; i++)
        if (memcmp(s + i, "\xe2\x96\x81", 3) == 0) return 1;
    return 0;
}

static void round_trips(vkattn_tokenizer *t, const char *what) {
    char s[256], back[1024], stream[4096];
    int32_t ids[512];
    int bad = 0, bad_stream = 0;
    for (int it = 0; it < 400; it++) {
        int raw = it % 2;
        size_t n = random_text(s, sizeof s, raw), m = 0, k = 0;
        if (has_lower_block(s, n)) continue;
        int add_special = it % 3 == 0;
        if (vkattn_tokenize(t, s, n, add_special, 0, ids, N_OF(ids), &m) != VKATTN_OK ||
            vkattn_detokenize(t, ids, m, VKATTN_DETOK_STRIP_PREFIX, back, sizeof back, &k) != VKATTN_OK || k != n ||
            memcmp(back, s, n) != 0) {
            if (!bad++) fprintf(stderr, "%s: round trip failed for \"%.*s\" (%zu -> %zu bytes)\n", what, (int)n, s, n, k);
            continue;
        }
        if (raw) continue;
        /* valid UTF-8: the stream gives back exactly the input too */
        vkattn_detok *d = NULL;
        size_t total = 0, got = 0;
        CHECK_OK(NULL, vkattn_detok_create(t, VKATTN_DETOK_STRIP_PREFIX, &d));
        for (size_t i = 0; d && i < m; i++) {
            if (vkattn_detok_push(d, ids[i], stream + total, sizeof stream - total, &got) != VKATTN_OK) break;
            total += got;
        }
        if (d && vkattn_detok_flush(d, stream + total, sizeof stream - total, &got) == VKATTN_OK) total += got;
        vkattn_detok_destroy(d);
        if (total != n || memcmp(stream, s, n) != 0) bad_stream++;
    }
    CHECK(bad == 0, "%s: %d of 400 random texts did not round-trip exactly", what, bad);
    CHECK(bad_stream == 0, "%s: %d streamed decodings differ from the input", what, bad_stream);
}

/* Pushes ids one by one; checks the output after each push. */
static void expect_stream(vkattn_tokenizer *t, const int32_t *ids, size_t n, const char *const *outs, const char *flush) {
    vkattn_detok *d = NULL;
    CHECK_OK(NULL, vkattn_detok_create(t, 0, &d));
    if (!d) return;
    char buf[64];
    size_t got;
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(NULL, vkattn_detok_push(d, ids[i], buf, sizeof buf, &got));
        CHECK(got == strlen(outs[i]) && memcmp(buf, outs[i], got) == 0, "push %zu: %zu bytes, want \"%s\"", i, got, outs[i]);
    }
    CHECK_OK(NULL, vkattn_detok_flush(d, buf, sizeof buf, &got));
    CHECK(got == strlen(flush) && memcmp(buf, flush, got) == 0, "flush: %zu bytes, want %zu", got, strlen(flush));
    vkattn_detok_destroy(d);
}

static void test_streaming(void) {
    vocab v;
    vkattn_tokenizer *t = spm_tok(&v, -1, -1);
    if (!t) return;
    int32_t E2 = id_of(t, "<0xE2>"), x82 = id_of(t, "<0x82>"), xAC = id_of(t, "<0xAC>"), xFF = id_of(t, "<0xFF>");
    int32_t F0 = id_of(t, "<0xF0>"), x9F = id_of(t, "<0x9F>"), h = id_of(t, "h"), s = id_of(t, "<s>");
    const char *fffd = "\xef\xbf\xbd";
    expect_stream(t, (int32_t[]){E2, x82, xAC}, 3, (const char *const[]){"", "", "\xe2\x82\xac"}, "");
    expect_stream(t, (int32_t[]){xFF, h}, 2, (const char *const[]){fffd, "h"}, "");
    expect_stream(t, (int32_t[]){E2, h}, 2, (const char *const[]){"", "\xef\xbf\xbdh"}, "");
    expect_stream(t, (int32_t[]){F0, x9F}, 2, (const char *const[]){"", ""}, fffd); /* incomplete at the end */
    expect_stream(t, (int32_t[]){E2, s, x82}, 3, (const char *const[]){"", "", ""}, fffd); /* control adds nothing */
    expect_stream(t, (int32_t[]){x82, x82}, 2, (const char *const[]){fffd, fffd}, "");

    /* a short buffer: error, size needed, nothing consumed */
    vkattn_detok *d = NULL;
    CHECK_OK(NULL, vkattn_detok_create(t, VKATTN_DETOK_SPECIAL, &d));
    char buf[16];
    size_t got = 0;
    CHECK_OK(NULL, vkattn_detok_push(d, E2, buf, sizeof buf, &got));
    CHECK_STATUS(NULL, vkattn_detok_push(d, s, buf, 2, &got), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(got == 6, "needs U+FFFD + \"<s>\" = 6 bytes (%zu)", got);
    CHECK_OK(NULL, vkattn_detok_push(d, s, buf, sizeof buf, &got));
    CHECK(got == 6 && memcmp(buf, "\xef\xbf\xbd<s>", 6) == 0, "retried push");
    CHECK_STATUS(NULL, vkattn_detok_push(d, -1, buf, sizeof buf, &got), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_detok_destroy(d);
    vkattn_detok_destroy(NULL);
    round_trips(t, "spm");
    vkattn_tokenizer_destroy(t);

    t = bpe_tok(&v, "gpt2", -1);
    if (!t) return;
    /* byte-level: an emoji is 4 one-byte tokens, released on the last */
    int32_t ids[8];
    size_t n = 0;
    CHECK_OK(NULL, vkattn_tokenize(t, "\xf0\x9f\x98\x80", 4, 0, 0, ids, 8, &n));
    CHECK(n == 4, "emoji = 4 byte tokens (%zu)", n);
    if (n == 4) expect_stream(t, ids, 4, (const char *const[]){"", "", "", "\xf0\x9f\x98\x80"}, "");
    round_trips(t, "bpe");
    vkattn_tokenizer_destroy(t);
}

/* ---- bad input ------------------------------------------------------------------------------------------ */

static void test_errors(void) {
    vkattn_tokenizer *t = (vkattn_tokenizer *)1;
    const char *tokens[] = {"a", "b", "ab"};
    const char *bad_merges[] = {"ab"};
    vkattn_tokenizer_desc d;
    vkattn_tokenizer_desc_default(&d);
    d.model = "gpt2";
    d.n_vocab = 3;
    d.tokens = tokens;
    CHECK_STATUS(NULL, vkattn_tokenizer_create(NULL, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(t == NULL, "*out = NULL on failure");
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    d.model = "bert";
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, &t), VKATTN_ERROR_UNSUPPORTED);
    CHECK(strstr(vkattn_context_error(NULL), "\"llama\"") != NULL, "message names the models: %s", vkattn_context_error(NULL));
    d.model = "gpt2";
    d.pre = "klingon";
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, &t), VKATTN_ERROR_UNSUPPORTED);
    CHECK(strstr(vkattn_context_error(NULL), "llama-bpe") != NULL, "message lists pre-tokenizers: %s",
          vkattn_context_error(NULL));
    d.pre = NULL;
    d.bos_id = 3;
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(NULL), "bos_id 3") != NULL, "message: %s", vkattn_context_error(NULL));
    d.bos_id = -1;
    d.add_bos = 1;
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    d.add_bos = -1;
    d.n_merges = 1;
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, &t), VKATTN_ERROR_INVALID_ARGUMENT); /* merges NULL */
    d.merges = bad_merges;
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, &t), VKATTN_ERROR_FORMAT);
    d.n_merges = 0;
    d.n_vocab = 0;
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    d.n_vocab = 3;
    const char *null_tok[] = {"a", NULL, "b"};
    d.tokens = null_tok;
    CHECK_STATUS(NULL, vkattn_tokenizer_create(&d, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    d.tokens = tokens;
    CHECK_OK(NULL, vkattn_tokenizer_create(&d, &t)); /* the minimal valid one */

    /* SentencePiece without byte tokens nor <unk>: unknown characters are an error, not a crash */
    vkattn_tokenizer *s = NULL;
    d.model = "llama";
    d.add_bos = 0;
    CHECK_OK(NULL, vkattn_tokenizer_create(&d, &s));
    size_t n = 0;
    int32_t ids[8];
    CHECK_STATUS(NULL, vkattn_tokenize(s, "ab", 2, 0, 0, ids, 8, &n), VKATTN_ERROR_FORMAT);
    CHECK(strstr(vkattn_context_error(NULL), "0xE2") != NULL, "names the byte: %s", vkattn_context_error(NULL));
    vkattn_tokenizer_destroy(s);

    CHECK_STATUS(NULL, vkattn_tokenize(NULL, "a", 1, 0, 0, ids, 8, &n), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_tokenize(t, NULL, 1, 0, 0, ids, 8, &n), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_tokenize(t, "a", 1, 0, 0, NULL, 8, &n), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_tokenize(t, "a", 1, 0, 0, ids, 8, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    char text[8];
    CHECK_STATUS(NULL, vkattn_detokenize(t, (int32_t[]){0, 7}, 2, 0, text, sizeof text, &n), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_detokenize(t, (int32_t[]){2, 2, 2}, 3, 0, text, 5, &n), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(n == 6, "detokenize reports the size needed (%zu)", n);
    CHECK(vkattn_tokenizer_token_type(t, 99) == VKATTN_TOKEN_UNDEFINED && vkattn_tokenizer_token_text(t, -1, &n) == NULL,
          "queries out of range");
    CHECK_STATUS(NULL, vkattn_detok_create(NULL, 0, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_tokenizer_destroy(t);
    vkattn_tokenizer_destroy(NULL);
}

/* ---- speed: a long text through the byte-level tokenizer ------------------------------------------------ */

/* A vocabulary of Qwen2's size: 152064 tokens, 151387 merges. */
static void test_large_vocab(void) {
    const uint32_t n = 152064, m = 151387;
    char (*text)[16] = malloc((size_t)n * sizeof *text), (*merge)[32] = malloc((size_t)m * sizeof *merge);
    const char **tok = malloc(n * sizeof *tok), **mer = malloc(m * sizeof *mer);
    int32_t *types = malloc(n * sizeof *types);
    for (uint32_t i = 0; i < n; i++) {
        if (i < 256) put_cp(text[i], gpt2_cp((int)i));
        else snprintf(text[i], sizeof text[i], i < n - 300 ? "w%u" : "<|s%u|>", i);
        tok[i] = text[i];
        types[i] = i < n - 300 ? VKATTN_TOKEN_NORMAL : VKATTN_TOKEN_CONTROL;
    }
    for (uint32_t i = 0; i < m; i++) {
        snprintf(merge[i], sizeof merge[i], "%s %s", text[rnd(n - 300)], text[rnd(n - 300)]);
        mer[i] = merge[i];
    }
    vkattn_tokenizer_desc d;
    vkattn_tokenizer_desc_default(&d);
    d.model = "gpt2";
    d.pre = "qwen2";
    d.n_vocab = n;
    d.tokens = tok;
    d.token_types = types;
    d.n_merges = m;
    d.merges = mer;
    vkattn_tokenizer *t = NULL;
    clock_t c0 = clock();
    CHECK_OK(NULL, vkattn_tokenizer_create(&d, &t));
    double s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("create a %u-token, %u-merge tokenizer (300 control tokens): %.3f s\n", n, m, s);
    CHECK(s < 10, "creation took %.1f s", s);
    int32_t ids[64];
    size_t k = 0;
    CHECK_OK(NULL, vkattn_tokenize(t, "x<|s151800|>y", 13, 0, 1, ids, 64, &k));
    CHECK(k == 3 && ids[1] == 151800, "a control token of the large vocabulary (%zu tokens)", k);
    vkattn_tokenizer_destroy(t);
    free(text);
    free(merge);
    free(tok);
    free(mer);
    free(types);
}

static void test_speed(void) {
    vocab v;
    vkattn_tokenizer *t = bpe_tok(&v, "llama-bpe", 0);
    if (!t) return;
    size_t len = 1 << 20, n = 0;
    char *text = malloc(len);
    int32_t *ids = malloc(len * sizeof *ids);
    for (size_t i = 0; i < len; i++) text[i] = "hello world aaa 123\n"[i % 20];
    clock_t c0 = clock();
    CHECK_OK(NULL, vkattn_tokenize(t, text, len, 0, 0, ids, len, &n));
    double s = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("tokenize 1 MiB (byte-level BPE): %zu tokens in %.3f s (%.1f MB/s)\n", n, s, len / 1e6 / (s > 0 ? s : 1e-9));
    CHECK(s < 20, "1 MiB took %.1f s", s);
    free(text);
    free(ids);
    vkattn_tokenizer_destroy(t);
}

int main(void) {
    test_utf8();
    test_pretokenizers();
    test_bpe();
    test_spm();
    test_streaming();
    test_errors();
    test_large_vocab();
    test_speed();
    return th_finish(NULL);
}
