/* SentencePiece-style tokenization (tokenizer.ggml.model "llama"), as llama.cpp's llm_tokenizer_spm:
 * spaces become U+2581 ("▁"), a "▁" is prepended at the start of the text and after special tokens
 * (add_space_prefix), then the text is cut into UTF-8 characters and the adjacent pair whose concatenation
 * is the vocabulary token of highest score is merged, repeatedly (ties: leftmost). A final symbol that is
 * not a token falls back to its bytes: <0xXX> tokens (else the 1-byte token, else the unknown token). */
#include "tokenizer.h"

#include "base/base.h"

#include <string.h>

static int spm_prio(const void *user, const char *l, size_t ln, const char *r, size_t rn, double *prio) {
    const vkattn_tokenizer *t = user;
    (void)r; /* symbols are adjacent in the text: l[0 .. ln + rn) is the concatenation */
    int32_t id = vkattn__tok_find(t, l, ln + rn);
    if (id < 0) return 0;
    *prio = t->score[id];
    return 1;
}

/* A final symbol that is no token: byte fallback. */
static vkattn_status bytes(const vkattn_tokenizer *t, vkattn__enc *e, const char *s, size_t n) {
    vkattn_status st = VKATTN_OK;
    for (size_t j = 0; j < n && !st; j++) {
        uint8_t b = (uint8_t)s[j];
        int32_t id = t->byte_token[b] >= 0 ? t->byte_token[b] : t->unk;
        if (id < 0)
            return vkattn__fail(NULL, VKATTN_ERROR_FORMAT,
                                "tokenize: byte 0x%02X has no token (the vocabulary lacks <0x%02X> and an unknown "
                                "token)", b, b);
        st = vkattn__ivec_push(&e->out, id);
    }
    return st;
}

vkattn_status vkattn__spm_encode(const vkattn_tokenizer *t, vkattn__enc *e, const char *s, size_t n, int prefix_space) {
    static const char ws[3] = {'\xe2', '\x96', '\x81'}; /* U+2581 */
    size_t spaces = 0;
    for (size_t i = 0; i < n; i++) spaces += s[i] == ' ';
    vkattn_status st = vkattn__enc_reserve_buf(e, (prefix_space ? 3 : 0) + n + 2 * spaces);
    if (st) return st;
    size_t m = 0;
    if (prefix_space) {
        memcpy(e->buf, ws, 3);
        m = 3;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            memcpy(e->buf + m, ws, 3);
            m += 3;
        } else {
            e->buf[m++] = s[i];
        }
    }
    if ((st = vkattn__merge(&e->merger, e->buf, m, spm_prio, t))) return st;
    return vkattn__emit_symbols(t, e, bytes);
}
