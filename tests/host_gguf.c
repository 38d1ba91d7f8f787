/* Host-only: the GGUF reader on a valid file built here (every metadata value type,
 * arrays of each incl. strings and nested arrays, F32/F16/Q8_0/Q4_0/BF16 tensors and an
 * unsupported Q4_K one, non-default alignment, v2 and v3), then a malformed set derived
 * from it by patching recorded field positions: truncation at every byte, bad magic and
 * versions, absurd counts, string and array lengths past EOF, unknown value and tensor
 * types, bad / misaligned / overlapping offsets, dims (zero, overflow, n_dims), block
 * sizes, duplicates, alignment. Every one must be VKATTN_ERROR_FORMAT with a message
 * naming the file, never a crash (also run under ASan + UBSan). */
#include "harness.h"
#include "formats/formats.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

static char dir[64], path[128];

/* ---- a little GGUF builder ---------------------------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) exit(1);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put_le(buf *b, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        put(b, &c, 1);
    }
}
static void u32(buf *b, uint32_t v) { put_le(b, v, 4); }
static void u64(buf *b, uint64_t v) { put_le(b, v, 8); }
static void str(buf *b, const char *s, size_t n) {
    u64(b, n);
    put(b, s, n);
}
static void key(buf *b, const char *k, uint32_t type) {
    str(b, k, strlen(k));
    u32(b, type);
}
static void patch(uint8_t *p, size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) p[at + i] = (uint8_t)(v >> (8 * i));
}

/* Positions recorded while building the valid file, for the malformed variants. */
typedef struct layout {
    size_t version, n_tensors, n_kv;
    size_t key_len;        /* length field of the first key */
    size_t str_len;        /* length field of a string value */
    size_t u8_type;        /* type field of the uint8 entry */
    size_t bool_val;       /* the bool value byte */
    size_t arr_u8_count;   /* count of the uint8 array */
    size_t arr_str_count;  /* count of the string array */
    size_t arr_elem_type;  /* element type of the int16 array */
    size_t align_val;      /* general.alignment's value */
    size_t t_ndim[5], t_ne[5], t_type[5], t_off[5], t_name[5];
    size_t data_start, data_end; /* data section, end of the last tensor's bytes */
    uint64_t alignment;
} layout;

#define N_TENSORS 5
static const struct {
    const char *name;
    uint32_t type, ndim;
    uint64_t ne[4];
    uint64_t bytes;
} tensors[N_TENSORS] = {
    {"tok_embd.weight", 0, 2, {5, 3}, 60},         /* F32, vkattn shape [3, 5] */
    {"blk.0.attn_norm.weight", 1, 1, {7}, 14},     /* F16 */
    {"blk.0.ffn_up.weight", 8, 3, {64, 2, 2}, 272}, /* Q8_0: 2*2*2 blocks * 34 */
    {"output.weight", 2, 2, {32, 3}, 54},          /* Q4_0: 3 blocks * 18 */
    {"blk.0.kq.weight", 12, 1, {256}, 144},        /* Q4_K: unsupported type, the file still opens */
};

static uint8_t tensor_byte(int t, uint64_t i) { return (uint8_t)(t * 37 + i * 11 + 1); }

static buf build(layout *L, uint64_t alignment) {
    buf b = {0};
    memset(L, 0, sizeof *L);
    L->alignment = alignment;
    put(&b, "GGUF", 4);
    L->version = b.n;
    u32(&b, 3);
    L->n_tensors = b.n;
    u64(&b, N_TENSORS);
    L->n_kv = b.n;
    u64(&b, 0); /* patched below */
    uint64_t n_kv = 0;
    L->key_len = b.n;
    key(&b, "general.architecture", 8);
    L->str_len = b.n;
    str(&b, "llama", 5), n_kv++;
    L->u8_type = b.n + 8 + strlen("t.u8");
    key(&b, "t.u8", 0), put_le(&b, 200, 1), n_kv++;
    key(&b, "t.i8", 1), put_le(&b, (uint8_t)-5, 1), n_kv++;
    key(&b, "t.u16", 2), put_le(&b, 65535, 2), n_kv++;
    key(&b, "t.i16", 3), put_le(&b, (uint16_t)-300, 2), n_kv++;
    key(&b, "llama.block_count", 4), u32(&b, 22), n_kv++;
    key(&b, "t.i32", 5), u32(&b, (uint32_t)-123456), n_kv++;
    float f = 1e-5f, fa[3] = {0.5f, -1.25f, 3e10f};
    uint32_t fu;
    memcpy(&fu, &f, 4);
    key(&b, "llama.attention.layer_norm_rms_epsilon", 6), u32(&b, fu), n_kv++;
    key(&b, "t.bool", 7);
    L->bool_val = b.n;
    put_le(&b, 1, 1), n_kv++;
    key(&b, "t.u64", 10), u64(&b, 5000000000ull), n_kv++;
    key(&b, "t.i64", 11), u64(&b, (uint64_t)-7), n_kv++;
    double d = 10000.5;
    uint64_t du;
    memcpy(&du, &d, 8);
    key(&b, "llama.rope.freq_base", 12), u64(&b, du), n_kv++;
    key(&b, "t.big_u32", 4), u32(&b, 4000000000u), n_kv++;
    /* arrays */
    key(&b, "t.arr_u8", 9), u32(&b, 0);
    L->arr_u8_count = b.n;
    u64(&b, 3), put(&b, "\x01\x02\xff", 3), n_kv++;
    key(&b, "t.arr_i16", 9);
    L->arr_elem_type = b.n;
    u32(&b, 3), u64(&b, 2), put_le(&b, (uint16_t)-2, 2), put_le(&b, 300, 2), n_kv++;
    key(&b, "tokenizer.ggml.scores", 9), u32(&b, 6), u64(&b, 3);
    for (int i = 0; i < 3; i++) memcpy(&fu, &fa[i], 4), u32(&b, fu);
    n_kv++;
    key(&b, "tokenizer.ggml.token_type", 9), u32(&b, 5), u64(&b, 3), u32(&b, 1), u32(&b, (uint32_t)-1), u32(&b, 6),
        n_kv++;
    key(&b, "t.arr_bool", 9), u32(&b, 7), u64(&b, 2), put(&b, "\x01\x00", 2), n_kv++;
    key(&b, "t.arr_u64", 9), u32(&b, 10), u64(&b, 1), u64(&b, 1ull << 40), n_kv++;
    key(&b, "t.arr_f64", 9), u32(&b, 12), u64(&b, 1), u64(&b, du), n_kv++;
    key(&b, "tokenizer.ggml.tokens", 9), u32(&b, 8);
    L->arr_str_count = b.n;
    u64(&b, 4), str(&b, "<s>", 3), str(&b, "", 0), str(&b, "a\0b", 3), str(&b, "\xc4\xa0the", 5), n_kv++;
    /* nested: [[1, 2], []] of int32 */
    key(&b, "t.nested", 9), u32(&b, 9), u64(&b, 2);
    u32(&b, 5), u64(&b, 2), u32(&b, 1), u32(&b, 2);
    u32(&b, 5), u64(&b, 0);
    n_kv++;
    if (alignment != 32) {
        key(&b, "general.alignment", 4);
        L->align_val = b.n;
        u32(&b, (uint32_t)alignment), n_kv++;
    }
    patch(b.p, L->n_kv, n_kv, 8);
    /* tensor infos, data offsets padded to the alignment as gguf-py does */
    uint64_t off = 0, offs[N_TENSORS];
    for (int t = 0; t < N_TENSORS; t++) {
        L->t_name[t] = b.n;
        str(&b, tensors[t].name, strlen(tensors[t].name));
        L->t_ndim[t] = b.n;
        u32(&b, tensors[t].ndim);
        L->t_ne[t] = b.n;
        for (uint32_t k = 0; k < tensors[t].ndim; k++) u64(&b, tensors[t].ne[k]);
        L->t_type[t] = b.n;
        u32(&b, tensors[t].type);
        L->t_off[t] = b.n;
        offs[t] = off;
        u64(&b, off);
        off += (tensors[t].bytes + alignment - 1) / alignment * alignment;
    }
    while (b.n % alignment) put_le(&b, 0, 1);
    L->data_start = b.n;
    for (int t = 0; t < N_TENSORS; t++) {
        while (b.n < L->data_start + offs[t]) put_le(&b, 0, 1);
        for (uint64_t i = 0; i < tensors[t].bytes; i++) put_le(&b, tensor_byte(t, i), 1);
    }
    L->data_end = b.n; /* no trailing padding: every shorter prefix is truncated */
    return b;
}

static void write_file(const uint8_t *p, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(p, 1, n, fp) != n || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* ---- the valid file ---------------------------------------------------------------- */

static void check_valid(uint64_t alignment, uint32_t version) {
    layout L;
    buf b = build(&L, alignment);
    patch(b.p, L.version, version, 4);
    write_file(b.p, b.n);
    free(b.p);
    vkattn_gguf *g = NULL;
    CHECK_OK(NULL, vkattn_gguf_open(path, &g));
    if (!g) return;
    CHECK(vkattn_gguf_version(g) == version, "version %u", vkattn_gguf_version(g));
    CHECK(vkattn_gguf_alignment(g) == alignment, "alignment %llu", (unsigned long long)vkattn_gguf_alignment(g));
    CHECK(vkattn_gguf_data_offset(g) == L.data_start, "data offset");
    CHECK(vkattn_gguf_kv_count(g) == 22 + (alignment != 32), "kv count %llu", (unsigned long long)vkattn_gguf_kv_count(g));
    CHECK(strcmp(vkattn_gguf_kv_key(g, 0), "general.architecture") == 0 && vkattn_gguf_kv_type(g, 0) == 8, "kv 0");
    CHECK(vkattn_gguf_kv_key(g, 999) == NULL && vkattn_gguf_kv_type(g, 999) == -1, "kv past the end");
    CHECK(vkattn_gguf_find_key(g, "t.u8") == 1 && vkattn_gguf_find_key(g, "nope") == -1, "find_key");

    const char *s;
    uint64_t len;
    uint32_t u;
    int32_t i;
    uint64_t u6;
    float fl;
    int bo;
    CHECK_OK(NULL, vkattn_gguf_get_string(g, "general.architecture", &s, &len));
    CHECK(strcmp(s, "llama") == 0 && len == 5, "string");
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "llama.block_count", &u));
    CHECK(u == 22, "u32 %u", u);
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "t.u8", &u));
    CHECK(u == 200, "u8 as u32");
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "t.u16", &u));
    CHECK(u == 65535, "u16 as u32");
    CHECK_OK(NULL, vkattn_gguf_get_i32(g, "t.i8", &i));
    CHECK(i == -5, "i8 %d", i);
    CHECK_OK(NULL, vkattn_gguf_get_i32(g, "t.i16", &i));
    CHECK(i == -300, "i16 %d", i);
    CHECK_OK(NULL, vkattn_gguf_get_i32(g, "t.i32", &i));
    CHECK(i == -123456, "i32 %d", i);
    CHECK_OK(NULL, vkattn_gguf_get_i32(g, "t.i64", &i));
    CHECK(i == -7, "i64 as i32 %d", i);
    CHECK_OK(NULL, vkattn_gguf_get_u64(g, "t.u64", &u6));
    CHECK(u6 == 5000000000ull, "u64");
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "t.big_u32", &u));
    CHECK(u == 4000000000u, "big u32");
    CHECK_STATUS(NULL, vkattn_gguf_get_i32(g, "t.big_u32", &i), VKATTN_ERROR_FORMAT);
    CHECK(strstr(vkattn_context_error(NULL), "out of range") != NULL, "range message: %s", vkattn_context_error(NULL));
    CHECK_STATUS(NULL, vkattn_gguf_get_u32(g, "t.u64", &u), VKATTN_ERROR_FORMAT);
    CHECK_STATUS(NULL, vkattn_gguf_get_u32(g, "t.i8", &u), VKATTN_ERROR_FORMAT);
    CHECK_STATUS(NULL, vkattn_gguf_get_u64(g, "t.i64", &u6), VKATTN_ERROR_FORMAT);
    CHECK_OK(NULL, vkattn_gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", &fl));
    CHECK(fl == 1e-5f, "f32 %g", fl);
    CHECK_OK(NULL, vkattn_gguf_get_f32(g, "llama.rope.freq_base", &fl));
    CHECK(fl == 10000.5f, "f64 as f32 %g", fl);
    CHECK_OK(NULL, vkattn_gguf_get_f32(g, "t.i16", &fl));
    CHECK(fl == -300.0f, "i16 as f32");
    int64_t i6;
    double d6;
    CHECK_OK(NULL, vkattn_gguf_get_i64(g, "t.i64", &i6));
    CHECK(i6 == -7, "i64");
    CHECK_OK(NULL, vkattn_gguf_get_i64(g, "t.u64", &i6));
    CHECK(i6 == 5000000000ll, "u64 as i64");
    CHECK_OK(NULL, vkattn_gguf_get_f64(g, "llama.rope.freq_base", &d6));
    CHECK(d6 == 10000.5, "f64");
    CHECK_OK(NULL, vkattn_gguf_get_f64(g, "t.u64", &d6));
    CHECK(d6 == 5e9, "u64 as f64");
    CHECK_STATUS(NULL, vkattn_gguf_get_f64(g, "t.bool", &d6), VKATTN_ERROR_FORMAT);
    CHECK_OK(NULL, vkattn_gguf_get_bool(g, "t.bool", &bo));
    CHECK(bo == 1, "bool");
    CHECK_STATUS(NULL, vkattn_gguf_get_bool(g, "t.u8", &bo), VKATTN_ERROR_FORMAT);
    CHECK_STATUS(NULL, vkattn_gguf_get_u32(g, "general.architecture", &u), VKATTN_ERROR_FORMAT);
    CHECK(strstr(vkattn_context_error(NULL), "is string, expected an integer") != NULL, "type message: %s",
          vkattn_context_error(NULL));
    CHECK_STATUS(NULL, vkattn_gguf_get_string(g, "t.u8", &s, NULL), VKATTN_ERROR_FORMAT);
    CHECK_STATUS(NULL, vkattn_gguf_get_f32(g, "tokenizer.ggml.tokens", &fl), VKATTN_ERROR_FORMAT);
    CHECK_STATUS(NULL, vkattn_gguf_get_u32(g, "llama.context_length", &u), VKATTN_ERROR_FORMAT);
    CHECK(strstr(vkattn_context_error(NULL), "\"llama.context_length\" is missing") != NULL &&
              strstr(vkattn_context_error(NULL), path) != NULL, "missing-key message: %s", vkattn_context_error(NULL));
    CHECK_STATUS(NULL, vkattn_gguf_get_u32(g, "t.u8", NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_gguf_get_u32(NULL, "t.u8", &u), VKATTN_ERROR_INVALID_ARGUMENT);

    vkattn_gguf_type et;
    uint64_t count;
    float fv[4];
    int32_t iv[4];
    CHECK_OK(NULL, vkattn_gguf_get_array(g, "tokenizer.ggml.tokens", &et, &count));
    CHECK(et == VKATTN_GGUF_STRING && count == 4, "string array");
    CHECK_OK(NULL, vkattn_gguf_array_string(g, "tokenizer.ggml.tokens", 0, &s, &len));
    CHECK(strcmp(s, "<s>") == 0 && len == 3, "token 0");
    CHECK_OK(NULL, vkattn_gguf_array_string(g, "tokenizer.ggml.tokens", 1, &s, &len));
    CHECK(s[0] == 0 && len == 0, "empty token");
    CHECK_OK(NULL, vkattn_gguf_array_string(g, "tokenizer.ggml.tokens", 2, &s, &len));
    CHECK(len == 3 && memcmp(s, "a\0b", 4) == 0, "token with a NUL");
    CHECK_OK(NULL, vkattn_gguf_array_string(g, "tokenizer.ggml.tokens", 3, &s, &len));
    CHECK(strcmp(s, "\xc4\xa0the") == 0, "utf-8 token");
    CHECK_STATUS(NULL, vkattn_gguf_array_string(g, "tokenizer.ggml.tokens", 4, &s, &len), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_gguf_array_string(g, "tokenizer.ggml.scores", 0, &s, &len), VKATTN_ERROR_FORMAT);
    CHECK_OK(NULL, vkattn_gguf_array_f32(g, "tokenizer.ggml.scores", 0, 3, fv));
    CHECK(fv[0] == 0.5f && fv[1] == -1.25f && fv[2] == 3e10f, "scores");
    CHECK_OK(NULL, vkattn_gguf_array_f32(g, "tokenizer.ggml.scores", 2, 1, fv));
    CHECK(fv[0] == 3e10f, "scores slice");
    CHECK_STATUS(NULL, vkattn_gguf_array_f32(g, "tokenizer.ggml.scores", 2, 2, fv), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_gguf_array_f32(g, "tokenizer.ggml.scores", UINT64_MAX, 2, fv),
                 VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_OK(NULL, vkattn_gguf_array_i32(g, "tokenizer.ggml.token_type", 0, 3, iv));
    CHECK(iv[0] == 1 && iv[1] == -1 && iv[2] == 6, "token types");
    CHECK_STATUS(NULL, vkattn_gguf_array_i32(g, "tokenizer.ggml.scores", 0, 1, iv), VKATTN_ERROR_FORMAT);
    CHECK_OK(NULL, vkattn_gguf_array_i32(g, "t.arr_u8", 0, 3, iv));
    CHECK(iv[0] == 1 && iv[2] == 255, "u8 array");
    CHECK_OK(NULL, vkattn_gguf_array_f32(g, "t.arr_i16", 0, 2, fv));
    CHECK(fv[0] == -2 && fv[1] == 300, "i16 array");
    CHECK_OK(NULL, vkattn_gguf_array_i32(g, "t.arr_bool", 0, 2, iv));
    CHECK(iv[0] == 1 && iv[1] == 0, "bool array");
    CHECK_STATUS(NULL, vkattn_gguf_array_i32(g, "t.arr_u64", 0, 1, iv), VKATTN_ERROR_FORMAT);
    CHECK_OK(NULL, vkattn_gguf_array_f32(g, "t.arr_u64", 0, 1, fv));
    CHECK(fv[0] == (float)(1ull << 40), "u64 array as f32");
    int64_t lv[2];
    double dv[3];
    CHECK_OK(NULL, vkattn_gguf_array_i64(g, "t.arr_u64", 0, 1, lv));
    CHECK(lv[0] == 1ll << 40, "u64 array as i64");
    CHECK_OK(NULL, vkattn_gguf_array_f64(g, "tokenizer.ggml.scores", 0, 3, dv));
    CHECK(dv[2] == (double)3e10f, "scores as f64");
    CHECK_STATUS(NULL, vkattn_gguf_array_i64(g, "tokenizer.ggml.tokens", 0, 1, lv), VKATTN_ERROR_FORMAT);
    CHECK_OK(NULL, vkattn_gguf_array_f32(g, "t.arr_f64", 0, 1, fv));
    CHECK(fv[0] == 10000.5f, "f64 array");
    CHECK_OK(NULL, vkattn_gguf_get_array(g, "t.nested", &et, &count));
    CHECK(et == VKATTN_GGUF_ARRAY && count == 2, "nested array");
    CHECK_STATUS(NULL, vkattn_gguf_array_i32(g, "t.nested", 0, 1, iv), VKATTN_ERROR_FORMAT);
    CHECK_STATUS(NULL, vkattn_gguf_get_array(g, "t.u8", &et, &count), VKATTN_ERROR_FORMAT);

    CHECK(vkattn_gguf_tensor_count(g) == N_TENSORS, "tensor count");
    uint64_t expect_off = 0;
    for (int t = 0; t < N_TENSORS; t++) {
        vkattn_gguf_tensor ti, tn;
        CHECK_OK(NULL, vkattn_gguf_tensor_at(g, (uint64_t)t, &ti));
        CHECK_OK(NULL, vkattn_gguf_find_tensor(g, tensors[t].name, &tn));
        CHECK(ti.data == tn.data && strcmp(ti.name, tensors[t].name) == 0, "tensor %d by name", t);
        CHECK(ti.ggml_type == tensors[t].type && ti.ndim == tensors[t].ndim && ti.bytes == tensors[t].bytes &&
                  ti.offset == expect_off, "tensor %d info", t);
        for (uint32_t k = 0; k < ti.ndim; k++)
            CHECK(ti.shape[k] == (int64_t)tensors[t].ne[ti.ndim - 1 - k], "tensor %d shape reversed", t);
        int same = 1;
        for (uint64_t k = 0; k < ti.bytes; k++) same &= ((const uint8_t *)ti.data)[k] == tensor_byte(t, k);
        CHECK(same, "tensor %d data", t);
        expect_off += (tensors[t].bytes + alignment - 1) / alignment * alignment;
    }
    vkattn_gguf_tensor t;
    vkattn_dtype dt;
    const vkattn_dtype want[4] = {VKATTN_F32, VKATTN_F16, VKATTN_Q8_0, VKATTN_Q4_0};
    for (int k = 0; k < 4; k++) {
        CHECK_OK(NULL, vkattn_gguf_tensor_at(g, (uint64_t)k, &t));
        CHECK_OK(NULL, vkattn_gguf_tensor_dtype(&t, &dt));
        CHECK(dt == want[k], "dtype of tensor %d: %s", k, vkattn_dtype_string(dt));
    }
    CHECK_OK(NULL, vkattn_gguf_find_tensor(g, "blk.0.kq.weight", &t));
    CHECK(strcmp(t.type_name, "Q4_K") == 0, "type name %s", t.type_name);
    CHECK(vkattn_gguf_tensor_dtype(&t, &dt) == VKATTN_OK && dt == VKATTN_Q4_K, "Q4_K maps");
    /* ggml type ids (ggml.h) of the other block types */
    const struct { uint32_t id; vkattn_dtype dt; } ids[] = {{3, VKATTN_Q4_1},  {6, VKATTN_Q5_0},  {7, VKATTN_Q5_1},
                                                              {10, VKATTN_Q2_K}, {11, VKATTN_Q3_K}, {13, VKATTN_Q5_K},
                                                              {14, VKATTN_Q6_K}, {20, VKATTN_IQ4_NL}, {23, VKATTN_IQ4_XS}};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        t.ggml_type = ids[k].id;
        CHECK(vkattn_gguf_tensor_dtype(&t, &dt) == VKATTN_OK && dt == ids[k].dt, "ggml type %u maps", ids[k].id);
    }
    t.ggml_type = 16; /* IQ2_XXS */
    CHECK_STATUS(NULL, vkattn_gguf_tensor_dtype(&t, &dt), VKATTN_ERROR_FORMAT);
    CHECK(strstr(vkattn_context_error(NULL), "IQ2_XXS") && strstr(vkattn_context_error(NULL), VKATTN_GGUF_SUPPORTED_TYPES),
          "unsupported-type message: %s", vkattn_context_error(NULL));
    t.ggml_type = 30;
    CHECK(vkattn_gguf_tensor_dtype(&t, &dt) == VKATTN_OK && dt == VKATTN_BF16, "BF16 maps");
    CHECK_STATUS(NULL, vkattn_gguf_find_tensor(g, "nope", &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_gguf_tensor_at(g, N_TENSORS, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_gguf_close(g);
}

/* ---- malformed files ---------------------------------------------------------------- */

static void expect_format(const char *what, const uint8_t *p, size_t n, const char *needle) {
    write_file(p, n);
    vkattn_gguf *g = (vkattn_gguf *)&g;
    vkattn_status s = vkattn_gguf_open(path, &g);
    const char *msg = vkattn_context_error(NULL);
    CHECK(s == VKATTN_ERROR_FORMAT, "%s: got %s (%s)", what, vkattn_status_string(s), msg);
    CHECK(g == NULL, "%s: handle not reset", what);
    CHECK(strstr(msg, path) != NULL, "%s: message should name the file: %s", what, msg);
    if (needle) CHECK(strstr(msg, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, msg, needle);
    if (getenv("VKATTN_TEST_VERBOSE")) printf("  %-30s %s\n", what, msg + strlen(path) + 2);
    if (s == VKATTN_OK) vkattn_gguf_close(g);
}

/* The valid file with one field patched. */
static void patched(const char *what, size_t at, uint64_t v, int bytes, const char *needle) {
    layout L;
    buf b = build(&L, 64);
    size_t pos = *(const size_t *)((const uint8_t *)&L + at);
    patch(b.p, pos, v, bytes);
    expect_format(what, b.p, b.n, needle);
    free(b.p);
}
#define AT(field) offsetof(layout, field)

static void malformed(void) {
    layout L;
    buf b = build(&L, 64);

    /* truncated at every byte: header and data (tensors past the end) */
    int wrong = 0;
    for (size_t cut = 0; cut < L.data_end; cut++) {
        write_file(b.p, cut);
        vkattn_gguf *g = NULL;
        vkattn_status s = vkattn_gguf_open(path, &g);
        if (s != VKATTN_ERROR_FORMAT || !vkattn_context_error(NULL)[0]) {
            if (wrong++ < 5) fprintf(stderr, "truncated at %zu: %s\n", cut, vkattn_status_string(s));
        }
        vkattn_gguf_close(g);
    }
    CHECK(wrong == 0, "%d of %zu truncations not refused with VKATTN_ERROR_FORMAT", wrong, L.data_end);
    expect_format("truncated in a key", b.p, L.key_len + 10, "cannot fit"); /* the counts are checked first */
    expect_format("truncated in a tensor info", b.p, L.t_off[4] + 4, "truncated: offset of tensor \"blk.0.kq.weight\"");
    expect_format("truncated in the data", b.p, L.data_end - 1, "past the end of the");

    /* random corruption of the header: OK or FORMAT, never anything else (or a crash) */
    th_seed(11);
    int other = 0;
    uint8_t *c = malloc(b.n);
    for (int it = 0; it < 3000; it++) {
        memcpy(c, b.p, b.n);
        for (int k = 0; k <= it % 4; k++) c[(size_t)th_uniform(0, (float)L.data_start)] ^= (uint8_t)th_uniform(1, 256);
        write_file(c, b.n);
        vkattn_gguf *g = NULL;
        vkattn_status s = vkattn_gguf_open(path, &g);
        other += s != VKATTN_OK && s != VKATTN_ERROR_FORMAT;
        if (g) { /* whatever opened must be consistent: every tensor inside the file */
            for (uint64_t t = 0; t < vkattn_gguf_tensor_count(g); t++) {
                vkattn_gguf_tensor ti;
                vkattn_gguf_tensor_at(g, t, &ti);
                volatile uint8_t sink = ti.bytes ? ((const uint8_t *)ti.data)[ti.bytes - 1] : 0;
                (void)sink;
            }
        }
        vkattn_gguf_close(g);
    }
    free(c);
    CHECK(other == 0, "%d corrupted files gave a status other than OK/FORMAT", other);
    free(b.p);

    expect_format("empty file", (const uint8_t *)"", 0, "too short");
    expect_format("not GGUF", (const uint8_t *)"\x89PNG\r\n\x1a\n....", 12, "not a GGUF file");
    patched("version 1", AT(version), 1, 4, "version 1 is not supported");
    patched("version 4", AT(version), 4, 4, "version 4");
    patched("version 0", AT(version), 0, 4, "version 0");
    patched("big-endian", AT(version), 0x03000000, 4, "big-endian");
    patched("tensor count 2^63", AT(n_tensors), 1ull << 63, 8, "tensor count");
    patched("kv count 2^40", AT(n_kv), 1ull << 40, 8, "metadata count");
    patched("kv count UINT64_MAX", AT(n_kv), UINT64_MAX, 8, "metadata count");
    patched("one kv too many", AT(n_kv), 24, 8, NULL);
    patched("one tensor too many", AT(n_tensors), N_TENSORS + 1, 8, NULL);
    patched("key length past EOF", AT(key_len), 1ull << 62, 8, "past the end of the file");
    patched("key length 0", AT(key_len), 0, 8, NULL);
    patched("string length past EOF", AT(str_len), 100000, 8, "past the end of the file");
    patched("string length 2^64-1", AT(str_len), UINT64_MAX, 8, "past the end");
    patched("unknown value type", AT(u8_type), 13, 4, "unknown value type 13");
    patched("value type 2^31", AT(u8_type), 1u << 31, 4, "unknown value type");
    patched("bool value 2", AT(bool_val), 2, 1, "neither 0 nor 1");
    patched("array length past EOF", AT(arr_u8_count), 1ull << 61, 8, "runs past the end");
    patched("array bytes overflow", AT(arr_u8_count), UINT64_MAX, 8, "runs past the end");
    patched("string array too long", AT(arr_str_count), 1ull << 50, 8, "cannot fit");
    patched("string array one more", AT(arr_str_count), 5, 8, NULL);
    patched("unknown array type", AT(arr_elem_type), 99, 4, "array of unknown value type 99");
    patched("alignment 48", AT(align_val), 48, 4, "not a power of two");
    patched("alignment 0", AT(align_val), 0, 4, "not a power of two");
    patched("n_dims 0", AT(t_ndim[1]), 0, 4, "0 dimensions");
    patched("n_dims 5", AT(t_ndim[1]), 5, 4, "5 dimensions");
    patched("n_dims 2^32-1", AT(t_ndim[1]), UINT32_MAX, 4, "dimensions");
    patched("zero dim", AT(t_ne[0]), 0, 8, "is 0");
    patched("dims overflow", AT(t_ne[0]), 1ull << 40, 8, NULL); /* 2^40 * 3 elements: past the data */
    patched("dims product overflow", AT(t_ne[2]), 1ull << 62, 8, "overflows");
    patched("dim 2^63", AT(t_ne[1]), 1ull << 63, 8, "overflows");
    patched("block size", AT(t_ne[2]), 48, 8, "not a multiple of the Q8_0 block size 32");
    patched("unknown tensor type 4", AT(t_type[0]), 4, 4, "unknown ggml type id 4");
    patched("unknown tensor type 1000", AT(t_type[3]), 1000, 4, "unknown ggml type id 1000");
    patched("offset past the end", AT(t_off[4]), 1ull << 20, 8, "past the end");
    patched("offset 2^64-64", AT(t_off[4]), UINT64_MAX - 63, 8, "past the end");
    patched("misaligned offset", AT(t_off[1]), 32, 8, "not a multiple of the alignment 64");
    patched("misaligned by one", AT(t_off[2]), 129, 8, "not a multiple");
    patched("overlapping offsets", AT(t_off[2]), 64, 8, "overlap");
    patched("overlapping, same start", AT(t_off[1]), 0, 8, "overlap");
    patched("name length past EOF", AT(t_name[3]), 1ull << 40, 8, "past the end of the file");
    patched("empty tensor name", AT(t_name[0]), 0, 8, NULL);

    /* duplicates: rename a key / a tensor to an earlier one (same length) */
    b = build(&L, 64);
    memcpy(b.p + L.u8_type - 2, "i8", 2); /* "t.u8" -> "t.i8" */
    expect_format("duplicate key", b.p, b.n, "\"t.i8\" appears twice");
    free(b.p);
    b = build(&L, 64);
    memcpy(b.p + L.t_name[4] + 8, "tok_embd.weight", 15); /* was "blk.0.kq.weight", as long */
    expect_format("duplicate tensor name", b.p, b.n, "\"tok_embd.weight\" appears twice");
    free(b.p);

    /* alignment of the wrong type, and a nested array too deep */
    buf w = {0};
    put(&w, "GGUF", 4), u32(&w, 3), u64(&w, 0), u64(&w, 1);
    key(&w, "general.alignment", 8), str(&w, "32", 2);
    expect_format("alignment as string", w.p, w.n, "general.alignment\" is string");
    w.n = 0;
    put(&w, "GGUF", 4), u32(&w, 3), u64(&w, 0), u64(&w, 1);
    key(&w, "deep", 9);
    for (int k = 0; k < 9; k++) u32(&w, 9), u64(&w, 1);
    u32(&w, 0), u64(&w, 0);
    expect_format("nested 10 deep", w.p, w.n, "nested deeper");
    w.n = 0;
    put(&w, "GGUF", 4), u32(&w, 3), u64(&w, 0), u64(&w, 1);
    key(&w, "nested", 9), u32(&w, 9), u64(&w, 1ull << 40);
    expect_format("nested array count", w.p, w.n, "cannot fit");
    w.n = 0;
    put(&w, "GGUF", 4), u32(&w, 3), u64(&w, 0), u64(&w, 1);
    key(&w, "", 4), u32(&w, 1);
    expect_format("empty key", w.p, w.n, "empty key");
    /* the smallest valid file: no metadata, no tensors */
    w.n = 0;
    put(&w, "GGUF", 4), u32(&w, 2), u64(&w, 0), u64(&w, 0);
    write_file(w.p, w.n);
    vkattn_gguf *g = NULL;
    CHECK_OK(NULL, vkattn_gguf_open(path, &g));
    CHECK(g && vkattn_gguf_kv_count(g) == 0 && vkattn_gguf_tensor_count(g) == 0, "empty GGUF");
    vkattn_gguf_close(g);
    free(w.p);

    snprintf(path, sizeof path, "%s/missing.gguf", dir);
    CHECK_STATUS(NULL, vkattn_gguf_open(path, &g), VKATTN_ERROR_IO);
    CHECK_STATUS(NULL, vkattn_gguf_open(NULL, &g), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_gguf_close(NULL);
}

/* Resident pages of this process (Linux /proc; -1 elsewhere). */
static long resident_pages(void) {
    long size = -1, res = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
    if (f) fclose(f);
    return res;
}

/* vkattn__mapped_drop (what the model loader calls once a tensor is on the device): the file's
 * pages leave the resident set, the bytes still read back right, pages only partly inside the
 * range stay, and ranges outside the mapping are ignored. */
static void check_drop(void) {
    enum { MIB = 1 << 20, N = 16 * MIB };
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    for (uint32_t i = 0; i < N / 4; i++) fwrite(&i, 4, 1, f);
    fclose(f);
    vkattn__mapped m;
    CHECK_OK(NULL, vkattn__map_file(path, &m));
    uint64_t sum = 0;
    for (uint32_t i = 0; i < N; i += 4096) sum += m.data[i + 1]; /* fault every page in */
    const long before = resident_pages(), page = sysconf(_SC_PAGESIZE);
    vkattn__mapped_drop(&m, m.data + 1, N - 2); /* the first and last pages are partly outside: kept */
    vkattn__mapped_drop(&m, m.data + N - 8, 64); /* reaches past the mapping: ignored */
    const long after = resident_pages();
    if (before > 0 && page > 0)
        CHECK(before - after >= (long)(N / page) * 9 / 10, "dropping %d MiB of mapped file freed only %ld of %ld pages", N / MIB,
              before - after, (long)(N / page));
    uint32_t v[4];
    memcpy(v, m.data + N / 2, sizeof v);
    CHECK(v[0] == N / 8 && v[3] == N / 8 + 3 && sum > 0, "a dropped page reads back %u, not %u", v[0], N / 8);
    vkattn__unmap_file(&m);
    remove(path);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/vkattn_gguf_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/t.gguf", dir);
    check_valid(32, 3);
    check_valid(64, 3);
    check_valid(32, 2);
    malformed();
    snprintf(path, sizeof path, "%s/t.gguf", dir);
    check_drop();
    remove(path);
    rmdir(dir);
    return th_finish(NULL);
}
