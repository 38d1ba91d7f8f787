/* The GGUF-style tokenizer (byte-level BPE and SentencePiece): build from fuzzed arrays, tokenize, pieces,
 * detokenize, streaming detokenize.
 *
 * Input: a flags byte, then vocabulary lines ("\n"-separated; a line starting with a byte 0x01..0x06 has
 * that vkattn_token_type, the rest normal; score = -line; the first unknown-type token is unknown_id),
 * "\n#merges\n", merge lines, "\n#text\n", text.
 * Flag bit 4 puts a complete byte vocabulary first (GPT-2's 256 byte characters, or SentencePiece's
 * <0x00>..<0xFF> and U+2581), so that every text is representable. Properties:
 *   - counting and writing agree; every id is in range; pieces fit the size they report;
 *   - the streaming detokenizer's output equals detokenize()'s whenever that is valid UTF-8, and is always
 *     valid UTF-8;
 *   - with a complete byte vocabulary, detokenize(tokenize(text)) == text (STRIP_PREFIX for "llama"; for
 *     "llama" only when the text has no U+2581, which decodes as a space; and only when no token of the
 *     encoding is a control, unknown or unused one, which decode to nothing). */
#include "fuzz.h"

#include "tokenizers/tokenizer.h"

#include <string.h>

static const char *const pres[8] = {NULL, "gpt2", "llama-bpe", "qwen2", "smollm", "default", "llama3", "nonesuch"};

enum { MAX_LINES = 4096 };

/* Splits [p, p + n) at '\n' into lines (pointers into the input). */
static uint32_t lines(const uint8_t *p, size_t n, const char **s, uint32_t *len, uint32_t max) {
    uint32_t k = 0;
    for (size_t i = 0, start = 0; i <= n && k < max; i++)
        if (i == n || p[i] == '\n') {
            if (i > start || i < n) s[k] = (const char *)p + start, len[k++] = (uint32_t)(i - start);
            start = i + 1;
        }
    return k;
}

static int valid_utf8(const char *s, size_t n) {
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        int k = vkattn__utf8_next((const uint8_t *)s + i, n - i, &cp);
        if (k <= 0) return 0;
        i += (size_t)k;
    }
    return 1;
}

static int has_u2581(const uint8_t *s, size_t n) {
    for (size_t i = 0; i + 3 <= n; i++)
        if (s[i] == 0xe2 && s[i + 1] == 0x96 && s[i + 2] == 0x81) return 1;
    return 0;
}

/* Streams ids through a vkattn_detok; returns the concatenated output (malloc) and its length. */
static char *stream(const vkattn_tokenizer *tok, const int32_t *ids, size_t n, uint32_t flags, size_t *out_len) {
    vkattn_tokenizer_info info;
    vkattn_tokenizer_get_info(tok, &info);
    size_t step = 3 * ((size_t)info.max_piece_bytes + 3), len = 0;
    char *out = malloc((n + 1) * step), chunk[64];
    vkattn_detok *d;
    if (!out || vkattn_detok_create(tok, flags, &d)) return free(out), NULL;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        /* a small buffer first: either it fits or it asks for more without consuming the token */
        vkattn_status st = vkattn_detok_push(d, ids[i], chunk, sizeof chunk, &k);
        if (st == VKATTN_OK) memcpy(out + len, chunk, k);
        else FUZZ_CHECK(k > sizeof chunk && k <= step && vkattn_detok_push(d, ids[i], out + len, step, &k) == VKATTN_OK);
        FUZZ_CHECK(k <= step);
        len += k;
    }
    size_t k;
    FUZZ_CHECK(vkattn_detok_flush(d, out + len, step, &k) == VKATTN_OK && k <= 3);
    vkattn_detok_destroy(d);
    *out_len = len + k;
    return out;
}

/* tokenize -> ids (malloc); counting first, as callers do. */
static int32_t *tokenize(const vkattn_tokenizer *tok, const char *text, size_t len, int add_special, int parse_special,
                         size_t *n) {
    size_t m;
    if (vkattn_tokenize(tok, text, len, add_special, parse_special, NULL, 0, n) && *n == 0) return NULL;
    int32_t *ids = malloc((*n ? *n : 1) * sizeof *ids);
    if (!ids) return NULL;
    FUZZ_CHECK(vkattn_tokenize(tok, text, len, add_special, parse_special, ids, *n, &m) == VKATTN_OK && m == *n);
    return ids;
}

static char *detokenize(const vkattn_tokenizer *tok, const int32_t *ids, size_t n, uint32_t flags, size_t *len) {
    size_t m;
    vkattn_status st = vkattn_detokenize(tok, ids, n, flags, NULL, 0, len);
    FUZZ_CHECK(st == VKATTN_OK || *len > 0);
    char *text = malloc(*len + 1);
    if (text) FUZZ_CHECK(vkattn_detokenize(tok, ids, n, flags, text, *len, &m) == VKATTN_OK && m == *len);
    return text;
}

static void check(const vkattn_tokenizer *tok, const char *text, size_t text_len, int round_trip, uint8_t flags) {
    vkattn_tokenizer_info info;
    vkattn_tokenizer_get_info(tok, &info);
    for (int32_t id = -1; id <= (int32_t)info.n_vocab; id++) { /* every piece, and the ids just out of range */
        char piece[8];
        size_t n, m, tl;
        for (int special = 0; special < 2; special++)
            if (vkattn_token_to_piece(tok, id, special, piece, sizeof piece, &n) != VKATTN_OK && n > sizeof piece) {
                char *big = malloc(n);
                FUZZ_CHECK(big && vkattn_token_to_piece(tok, id, special, big, n, &m) == VKATTN_OK && m == n);
                FUZZ_CHECK(n <= info.max_piece_bytes || special);
                free(big);
            }
        vkattn_tokenizer_is_eog(tok, id);
        vkattn_tokenizer_token_type(tok, id);
        const char *t = vkattn_tokenizer_token_text(tok, id, &tl);
        FUZZ_CHECK(!t == (id < 0 || id >= (int32_t)info.n_vocab));
        if (t) FUZZ_CHECK(vkattn_tokenizer_find(tok, t, tl) >= 0);
    }
    int add_special = flags >> 6 & 1, parse_special = flags >> 5 & 1;
    size_t n;
    int32_t *ids = tokenize(tok, text, text_len, add_special, parse_special, &n);
    if (!ids) return;
    for (size_t i = 0; i < n; i++) FUZZ_CHECK(ids[i] >= 0 && (uint32_t)ids[i] < info.n_vocab);
    for (uint32_t f = 0; f < 4; f++) { /* SPECIAL x STRIP_PREFIX */
        size_t whole_len, stream_len;
        char *whole = detokenize(tok, ids, n, f, &whole_len);
        char *streamed = stream(tok, ids, n, f, &stream_len);
        if (whole && streamed) {
            FUZZ_CHECK(valid_utf8(streamed, stream_len));
            if (valid_utf8(whole, whole_len)) FUZZ_CHECK(stream_len == whole_len && !memcmp(streamed, whole, whole_len));
        }
        free(whole), free(streamed);
    }
    free(ids);
    if (!round_trip) return;
    ids = tokenize(tok, text, text_len, 0, 0, &n);
    /* a merge may form the text of a control / unknown / unused token, which decodes to nothing (llama.cpp
     * looks pieces up in the whole vocabulary too): the round trip is promised only without them */
    for (size_t i = 0; ids && i < n; i++) {
        vkattn_token_type ty = vkattn_tokenizer_token_type(tok, ids[i]);
        if (ty == VKATTN_TOKEN_CONTROL || ty == VKATTN_TOKEN_UNKNOWN || ty == VKATTN_TOKEN_UNUSED) round_trip = 0;
    }
    size_t back_len;
    char *back = ids && round_trip ? detokenize(tok, ids, n, VKATTN_DETOK_STRIP_PREFIX, &back_len) : NULL;
    if (back && (back_len != text_len || memcmp(back, text, text_len))) {
        fprintf(stderr, "round trip: text \"%.*s\"\n      back \"%.*s\"\nids:", (int)text_len, text, (int)back_len, back);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
        FUZZ_CHECK(!"detokenize(tokenize(text)) == text");
    }
    free(back), free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const uint8_t flags = data[0];
    size_t vocab_len, rest_len, merges_len, text_len;
    const uint8_t *rest, *text;
    fuzz_split(data + 1, size - 1, "\n#merges\n", &vocab_len, &rest, &rest_len);
    if (!fuzz_split(rest, rest_len, "\n#text\n", &merges_len, &text, &text_len)) {
        /* no merges section: text follows the vocabulary */
        fuzz_split(data + 1, size - 1, "\n#text\n", &vocab_len, &text, &text_len);
        merges_len = 0;
    }
    const int spm = flags & 1, complete = flags >> 4 & 1;
    static const char *tokens[257 + MAX_LINES], *merges[MAX_LINES];
    static uint32_t token_lens[257 + MAX_LINES], merge_lens[MAX_LINES];
    static float scores[257 + MAX_LINES];
    static int32_t types[257 + MAX_LINES];
    static char bytes[256][8];
    uint32_t nb = 0;
    for (uint32_t b = 0; complete && b < 256; b++, nb++) {
        if (spm) token_lens[b] = (uint32_t)snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        else token_lens[b] = (uint32_t)vkattn__utf8_put(vkattn__byte_to_cp((uint8_t)b), bytes[b]);
        tokens[b] = bytes[b], scores[b] = -1e6f, types[b] = spm ? VKATTN_TOKEN_BYTE : VKATTN_TOKEN_NORMAL;
    }
    if (complete && spm) /* and the space: without it a space decodes as its escape's bytes (as in llama.cpp) */
        tokens[nb] = "\xe2\x96\x81", token_lens[nb] = 3, scores[nb] = 0, types[nb++] = VKATTN_TOKEN_NORMAL;
    uint32_t nv = nb + lines(data + 1, vocab_len, tokens + nb, token_lens + nb, MAX_LINES);
    for (uint32_t i = nb; i < nv; i++) {
        types[i] = VKATTN_TOKEN_NORMAL, scores[i] = -(float)(i - nb);
        if (token_lens[i] && tokens[i][0] >= 1 && tokens[i][0] <= 6) types[i] = tokens[i][0], tokens[i]++, token_lens[i]--;
    }
    vkattn_tokenizer_desc d;
    vkattn_tokenizer_desc_default(&d);
    d.model = spm ? "llama" : "gpt2";
    d.pre = pres[flags >> 1 & 7];
    d.n_vocab = nv, d.tokens = tokens, d.token_lens = token_lens, d.scores = scores, d.token_types = types;
    d.n_merges = lines(rest, merges_len, merges, merge_lens, MAX_LINES);
    d.merges = merges, d.merge_lens = merge_lens;
    d.bos_id = nv > nb ? (int32_t)nv - 1 : -1;
    d.eos_id = nv > nb + 1 ? (int32_t)nv - 2 : -1;
    d.add_space_prefix = flags >> 7;
    for (uint32_t i = nv; i-- > nb;)
        if (types[i] == VKATTN_TOKEN_UNKNOWN) d.unknown_id = (int32_t)i; /* the first one */
    vkattn_tokenizer *tok;
    if (vkattn_tokenizer_create(&d, &tok)) return 0;
    /* SentencePiece decodes U+2581 as a space, also where the text had it literally (as llama.cpp does) */
    int round_trip = complete && !(spm && has_u2581(text, text_len));
    check(tok, (const char *)text, text_len, round_trip, flags);
    vkattn_tokenizer_destroy(tok);
    return 0;
}
