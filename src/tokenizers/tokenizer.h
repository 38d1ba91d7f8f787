/* Internal interfaces of the tokenizers (host-side C, no Vulkan). Not installed.
 *
 *   utf8.c       UTF-8 decoding/encoding, code point classes (letter/number/space), GPT-2's byte <-> unicode map
 *   merge.c      the symbol list + priority queue that BPE and SentencePiece both merge with
 *   bpe.c        byte-level BPE (tokenizer.ggml.model "gpt2"): pre-tokenizers (GPT-2, Llama-3, Qwen2, SmolLM), merges
 *   spm.c        SentencePiece-style (model "llama"): U+2581 escaping, score-greedy merges, byte fallback
 *   tokenizer.c  the vkattn_tokenizer handle: vocabulary tables, special-token splitting, tokenize, pieces
 *   detok.c      streaming detokenizer that emits only complete, valid UTF-8
 *
 * Behaviour follows llama.cpp (llama-vocab.cpp, unicode.cpp); deviations are documented where they occur.
 */
#ifndef VKATTN_TOKENIZER_INTERNAL_H
#define VKATTN_TOKENIZER_INTERNAL_H

#include "base/base.h"

#include <stddef.h>
#include <stdint.h>

/* ---- UTF-8 and Unicode classes (utf8.c) ------------------------------------------------------------ */

/* Punctuation (\p{P}) is "other" to every pre-tokenizer but the punctuation splits of llama.cpp's default. */
enum { VKATTN__CLS_OTHER = 0, VKATTN__CLS_LETTER = 1, VKATTN__CLS_NUMBER = 2, VKATTN__CLS_SPACE = 3, VKATTN__CLS_PUNCT = 4 };

/* One well-formed UTF-8 sequence at s[0..n) (n >= 1; Unicode Table 3-7: no overlongs, surrogates or
 * values past U+10FFFF). Returns its length (1..4) and sets *cp; returns 0 when s[0..n) is a proper prefix
 * of a well-formed sequence (more bytes could complete it); returns -k when the first k bytes are an
 * ill-formed "maximal subpart" (to be replaced by one U+FFFD). */
int vkattn__utf8_next(const uint8_t *s, size_t n, uint32_t *cp);
/* Writes cp (<= U+10FFFF) as UTF-8; returns the length (1..4). */
size_t vkattn__utf8_put(uint32_t cp, char out[4]);
/* VKATTN__CLS_* of a code point (generated table, see scripts/gen_unicode_table.py). */
int vkattn__unicode_class(uint32_t cp);
/* GPT-2's bytes_to_unicode(): byte -> code point (printable bytes map to themselves, the other 68 to
 * U+0100..U+0143), and back (-1 when cp is not an image of a byte). */
uint32_t vkattn__byte_to_cp(uint8_t b);
int vkattn__cp_to_byte(uint32_t cp);

/* ---- merging (merge.c) ---------------------------------------------------------------------------- */

/* A run of bytes text[off, off + n) in the doubly linked list of current symbols; n = 0 once merged away. */
typedef struct vkattn__sym {
    int32_t prev, next;
    uint32_t off, n;
} vkattn__sym;

typedef struct vkattn__bigram {
    double prio;          /* higher merges first (SentencePiece: score; BPE: -rank) */
    int32_t left, right;  /* symbol indices */
    uint32_t size;        /* bytes of left + right when queued: a mismatch later means the entry is stale */
} vkattn__bigram;

typedef struct vkattn__merger {
    vkattn__sym *sym;
    size_t n_sym, cap_sym;
    vkattn__bigram *heap;
    size_t n_heap, cap_heap;
} vkattn__merger;

/* Whether the adjacent symbols l and r may merge, and with what priority. */
typedef int (*vkattn__prio_fn)(const void *user, const char *l, size_t ln, const char *r, size_t rn, double *prio);

/* Cuts text into UTF-8 characters, then repeatedly merges the queued adjacent pair of highest priority
 * (ties: leftmost) until no pair qualifies: llama.cpp's llm_tokenizer_spm/bpe loop. An ill-formed byte is a
 * symbol of its own (llama.cpp takes as many bytes as the lead byte announces, which can swallow the next
 * characters, e.g. an escaped space, and break exact round trips of invalid UTF-8).
 * Afterwards walk m->sym from index 0 along .next (-1 ends). Empty text gives no symbols. */
vkattn_status vkattn__merge(vkattn__merger *m, const char *text, size_t n, vkattn__prio_fn fn, const void *user);
void vkattn__merger_free(vkattn__merger *m);

/* ---- the tokenizer (tokenizer.c) ------------------------------------------------------------------ */

enum { VKATTN__MODEL_BPE = 1, VKATTN__MODEL_SPM = 2 };

/* Pre-tokenizers of byte-level BPE (tokenizer.ggml.pre, mapped as llama.cpp does). Several are chains of
 * splits, each applied to every piece the previous one left (llama.cpp's unicode_regex_split). */
enum {
    VKATTN__PRE_GPT2 = 0,    /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
    VKATTN__PRE_LLAMA3 = 1,  /* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
    VKATTN__PRE_QWEN2 = 2,   /* as LLAMA3 with \p{N} (single digits) */
    VKATTN__PRE_SMOLLM = 3,  /* \p{N} (every number alone), then GPT2 */
    VKATTN__PRE_DEFAULT = 4, /* [\p{P}$+<=>^~|]+, then GPT2, then \p{N}+, then [0-9][0-9][0-9] */
    VKATTN__PRE_FALCON = 5   /* [\p{P}$+<=>^~|`]+, then GPT2, then [0-9][0-9][0-9] */
};

/* A simple open-addressing hash table whose slots hold (index + 1); 0 = empty. */
typedef struct vkattn__htab {
    uint32_t *slot;
    uint32_t mask;
} vkattn__htab;

struct vkattn_tokenizer {
    int model;                  /* VKATTN__MODEL_* */
    int pre;                    /* VKATTN__PRE_* (BPE only) */
    char pre_name[32];
    char warning[256];          /* shown once by the caller (vkattn_tokenizer_info.warning); "" = none */
    uint32_t n_vocab;
    char *text;                 /* all token texts, back to back */
    size_t *text_off;
    uint32_t *text_len;
    float *score;
    uint8_t *type;              /* vkattn_token_type */
    uint8_t *eog;               /* 1 for end-of-generation tokens */
    vkattn__htab tok_map;       /* text -> id (a later duplicate wins, as in llama.cpp) */
    char *piece;                /* decoded bytes of every token (special tokens as their text) */
    size_t *piece_off;
    uint32_t *piece_len;
    uint32_t max_piece;
    /* BPE merges "left right": rank = index (the first duplicate wins) */
    uint32_t n_merges;
    char *merge_text;
    size_t *merge_off;
    uint32_t *merge_llen, *merge_rlen;
    vkattn__htab merge_map;
    int32_t bos, eos, unk, pad, eot;
    int add_bos, add_eos, add_space_prefix, ignore_merges;
    int32_t *special;           /* tokens matched in input text, longest first */
    uint32_t n_special;
    int32_t byte_token[256];    /* SPM: <0xXX> (or the 1-byte token); BPE: the token of the byte's mapped char */
};

/* Token id of exactly text[0..n), or -1. */
int32_t vkattn__tok_find(const vkattn_tokenizer *t, const char *s, size_t n);
/* Rank of the merge "l r", or -1. */
int32_t vkattn__merge_rank(const vkattn_tokenizer *t, const char *l, size_t ln, const char *r, size_t rn);

/* State of one tokenize call (the tokenizer itself stays const: thread-safe). */
typedef struct vkattn__enc {
    vkattn__ivec out;
    vkattn__merger merger;
    char *buf;                  /* escaped / byte-mapped text */
    size_t buf_cap;
    size_t *ends;               /* pre-tokenizer word ends */
    size_t n_ends, cap_ends;
    size_t *prev_ends;          /* the pieces a chained split refines */
    size_t cap_prev_ends;
    uint32_t *cp;               /* decoded units of a fragment */
    uint8_t *cls;
    size_t *cp_off;
    size_t cap_cp;
} vkattn__enc;

vkattn_status vkattn__enc_reserve_buf(vkattn__enc *e, size_t n);
void vkattn__enc_free(vkattn__enc *e);

/* Pre-tokenizes s[0..n) with pre (VKATTN__PRE_*): e->ends[0..n_ends) receive the byte end of every word
 * (the last one is n). Invalid UTF-8 bytes count as single "other" characters. */
vkattn_status vkattn__pretokenize(vkattn__enc *e, int pre, const char *s, size_t n);
/* Appends the tokens of one raw-text fragment to e->out. */
vkattn_status vkattn__bpe_encode(const vkattn_tokenizer *t, vkattn__enc *e, const char *s, size_t n);
/* Appends the token of every symbol left in e->merger (over e->buf); a symbol that is no token goes to
 * fallback (its bytes). */
typedef vkattn_status (*vkattn__fallback_fn)(const vkattn_tokenizer *t, vkattn__enc *e, const char *s, size_t n);
vkattn_status vkattn__emit_symbols(const vkattn_tokenizer *t, vkattn__enc *e, vkattn__fallback_fn fallback);
/* prefix_space: prepend the dummy-prefix space (add_space_prefix at the start or after a special token). */
vkattn_status vkattn__spm_encode(const vkattn_tokenizer *t, vkattn__enc *e, const char *s, size_t n, int prefix_space);

/* The bytes a token decodes to under VKATTN_DETOK_* flags. *at_start tracks whether a SentencePiece text
 * run starts here (start of output or after a special token): with VKATTN_DETOK_STRIP_PREFIX its leading
 * space is dropped. id must be valid. */
const char *vkattn__token_bytes(const vkattn_tokenizer *t, int32_t id, uint32_t flags, int *at_start, size_t *len);

#endif
