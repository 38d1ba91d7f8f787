/* GGUF from memory: open (every offset, count and length checked), then read every key with every getter
 * (wrong-type reads must fail cleanly), touch every tensor's first and last byte, and build the tokenizer
 * from tokenizer.ggml.* (vkattn_tokenizer_create_gguf) and round-trip a text through it (fuzz_tokenizer.c
 * fuzzes the tokenizer itself with a denser input format). */
#include "fuzz.h"

static void read_key(const vkattn_gguf *g, const char *key) {
    uint32_t u32;
    int32_t i32;
    uint64_t u64, n;
    int64_t i64;
    float f32;
    double f64;
    int b;
    const char *s;
    vkattn_gguf_get_u32(g, key, &u32), vkattn_gguf_get_i32(g, key, &i32);
    vkattn_gguf_get_u64(g, key, &u64), vkattn_gguf_get_i64(g, key, &i64);
    vkattn_gguf_get_f32(g, key, &f32), vkattn_gguf_get_f64(g, key, &f64);
    vkattn_gguf_get_bool(g, key, &b);
    if (!vkattn_gguf_get_string(g, key, &s, &n)) FUZZ_CHECK(s[n] == '\0');
    vkattn_gguf_type et;
    if (vkattn_gguf_get_array(g, key, &et, &n)) return;
    enum { K = 8 };
    float af[K];
    double ad[K];
    int32_t ai[K];
    int64_t al[K];
    uint64_t au[K];
    uint64_t first = n > K ? n - K : 0, m = n - first; /* the last elements: the bounds matter */
    vkattn_gguf_array_f32(g, key, first, m, af), vkattn_gguf_array_f64(g, key, first, m, ad);
    vkattn_gguf_array_i32(g, key, first, m, ai), vkattn_gguf_array_i64(g, key, first, m, al);
    vkattn_gguf_array_u64(g, key, first, m, au);
    FUZZ_CHECK(vkattn_gguf_array_f32(g, key, n, 1, af) != VKATTN_OK); /* past the end */
    for (uint64_t i = first; i < n; i++)
        if (!vkattn_gguf_array_string(g, key, i, &s, &u64)) FUZZ_CHECK(s[u64] == '\0');
    FUZZ_CHECK(vkattn_gguf_array_string(g, key, n, &s, &u64) != VKATTN_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vkattn_gguf *g;
    if (vkattn_gguf_open_memory(data, size, "fuzz.gguf", &g)) return 0;
    FUZZ_CHECK(vkattn_gguf_data_offset(g) <= size || vkattn_gguf_tensor_count(g) == 0); /* no padding needed */
    uint64_t nkv = vkattn_gguf_kv_count(g);
    for (uint64_t i = 0; i < nkv; i++) {
        const char *key = vkattn_gguf_kv_key(g, i);
        FUZZ_CHECK(key && vkattn_gguf_find_key(g, key) >= 0);
        read_key(g, key);
    }
    FUZZ_CHECK(vkattn_gguf_kv_key(g, nkv) == NULL);
    volatile uint8_t sink = 0;
    for (uint64_t i = 0, n = vkattn_gguf_tensor_count(g); i < n; i++) {
        vkattn_gguf_tensor t, u;
        FUZZ_CHECK(vkattn_gguf_tensor_at(g, i, &t) == VKATTN_OK);
        FUZZ_CHECK(vkattn_gguf_find_tensor(g, t.name, &u) == VKATTN_OK);
        FUZZ_CHECK((const uint8_t *)t.data >= data && t.bytes <= size &&
                   (const uint8_t *)t.data - data <= (ptrdiff_t)(size - t.bytes));
        if (t.bytes) sink ^= ((const uint8_t *)t.data)[0] ^ ((const uint8_t *)t.data)[t.bytes - 1];
        vkattn_dtype dt;
        vkattn_gguf_tensor_dtype(&t, &dt);
    }
    (void)sink;
    vkattn_tokenizer *tok;
    if (vkattn_tokenizer_create_gguf(g, &tok) == VKATTN_OK) {
        static const char text[] = "Hello world, \xc3\xa9t\xc3\xa9 <s> 42";
        int32_t ids[256];
        size_t n, len;
        char back[1024];
        if (vkattn_tokenize(tok, text, sizeof text - 1, 1, 1, ids, 256, &n) == VKATTN_OK)
            vkattn_detokenize(tok, ids, n, VKATTN_DETOK_SPECIAL, back, sizeof back, &len);
        vkattn_tokenizer_destroy(tok);
    }
    vkattn_gguf_close(g);
    return 0;
}
