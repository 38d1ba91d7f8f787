/* Host-only: the demo model linked into the CLI (apps/demo_model.c + the generated .incbin object)
 * is byte for byte models/demo.gguf, and that file is a llama-architecture GGUF v3 as llama.cpp names
 * it: hyperparameters, byte-level BPE tokenizer ("gpt2" model and pre-tokenizer, BOS/EOS), exactly
 * the expected tensors (tied output: no output.weight), F16/Q8_0 matrices and F32 norms, under 10 MB.
 * Skips (77) when the CLI was built without the demo model. */
#include "harness.h"

#include "demo_model.h"

#include <string.h>

static unsigned char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *p = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long len = ftell(f);
        if (len > 0 && fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)len)) != NULL) *n = fread(p, 1, (size_t)len, f);
    }
    fclose(f);
    return p;
}

static void check_string(const vkattn_gguf *g, const char *key, const char *want) {
    const char *s = NULL;
    CHECK(vkattn_gguf_get_string(g, key, &s, NULL) == VKATTN_OK && strcmp(s, want) == 0, "%s = %s, want %s", key,
          s ? s : "(missing)", want);
}

int main(void) {
    size_t size = 0;
    const unsigned char *data = demo_model_data(&size);
    if (!data) {
        printf("skipped: built without the demo model (VKATTN_DEMO_MODEL=OFF)\n");
        return 77;
    }
    size_t n = 0;
    unsigned char *file = read_all("../models/demo.gguf", &n);
    CHECK(file != NULL, "cannot read models/demo.gguf");
    CHECK(n == size && file && memcmp(file, data, size) == 0, "embedded %zu bytes differ from the file's %zu", size, n);
    CHECK(((uintptr_t)data & 63) == 0, "embedded data not 64-byte aligned");
    CHECK(size > 1000000 && size < 10000000, "size %zu: a few MB, under 10 MB", size);
    free(file);

    /* parse the embedded bytes themselves, through a copy on disk (the reader opens paths) */
    char path[] = "/tmp/vkattn_demo_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0) return th_finish(NULL);
    FILE *f = fdopen(fd, "wb");
    CHECK(f && fwrite(data, 1, size, f) == size, "writing %s", path);
    if (f) fclose(f);
    vkattn_gguf *g = NULL;
    vkattn_status st = vkattn_gguf_open(path, &g);
    remove(path);
    CHECK(st == VKATTN_OK, "vkattn_gguf_open: %s", vkattn_status_string(st));
    if (st != VKATTN_OK) return th_finish(NULL);

    CHECK(vkattn_gguf_version(g) == 3, "version %u", vkattn_gguf_version(g));
    check_string(g, "general.architecture", "llama");
    check_string(g, "tokenizer.ggml.model", "gpt2");
    check_string(g, "tokenizer.ggml.pre", "gpt-2"); /* llama.cpp's name for GPT-2's */
    uint32_t layers = 0, dim = 0, heads = 0, kv = 0, ff = 0, rope = 0, bos = 0, eos = 0;
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "llama.block_count", &layers));
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "llama.embedding_length", &dim));
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "llama.attention.head_count", &heads));
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "llama.attention.head_count_kv", &kv));
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "llama.feed_forward_length", &ff));
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "llama.rope.dimension_count", &rope));
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "tokenizer.ggml.bos_token_id", &bos));
    CHECK_OK(NULL, vkattn_gguf_get_u32(g, "tokenizer.ggml.eos_token_id", &eos));
    CHECK(heads && kv && heads % kv == 0 && dim % heads == 0 && rope == dim / heads, "heads %u kv %u dim %u rope %u",
          heads, kv, dim, rope);
    vkattn_gguf_type et;
    uint64_t n_vocab = 0, n_merges = 0, n_types = 0;
    CHECK_OK(NULL, vkattn_gguf_get_array(g, "tokenizer.ggml.tokens", &et, &n_vocab));
    CHECK_OK(NULL, vkattn_gguf_get_array(g, "tokenizer.ggml.merges", &et, &n_merges));
    CHECK_OK(NULL, vkattn_gguf_get_array(g, "tokenizer.ggml.token_type", &et, &n_types));
    CHECK(n_types == n_vocab && n_merges > 0 && bos < n_vocab && eos < n_vocab, "vocab %llu types %llu merges %llu",
          (unsigned long long)n_vocab, (unsigned long long)n_types, (unsigned long long)n_merges);

    /* exactly llama.cpp's tensor names, with the expected shapes */
    uint64_t hd = heads ? dim / heads : 0, want = 2 + 9ull * layers;
    CHECK(vkattn_gguf_tensor_count(g) == want, "%llu tensors, want %llu", (unsigned long long)vkattn_gguf_tensor_count(g),
          (unsigned long long)want);
    vkattn_gguf_tensor t;
    CHECK(vkattn_gguf_find_tensor(g, "output.weight", &t) != VKATTN_OK, "output.weight present: output should be tied");
    struct {
        const char *name;
        int64_t rows, cols; /* cols 0: a 1-D norm weight */
    } names[] = {{"attn_norm", dim, 0},           {"attn_q", heads * hd, dim}, {"attn_k", kv * hd, dim},
                 {"attn_v", kv * hd, dim},        {"attn_output", dim, heads * hd}, {"ffn_norm", dim, 0},
                 {"ffn_gate", ff, dim},           {"ffn_up", ff, dim},        {"ffn_down", dim, ff}};
    char name[64];
    for (uint32_t l = 0; l <= layers; l++)
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (l == layers && i > 0) break;
            int64_t rows = names[i].rows, cols = names[i].cols;
            if (l == layers) snprintf(name, sizeof name, "output_norm.weight");
            else snprintf(name, sizeof name, "blk.%u.%s.weight", l, names[i].name);
            if (vkattn_gguf_find_tensor(g, name, &t) != VKATTN_OK) {
                CHECK(0, "missing tensor %s", name);
                continue;
            }
            int ok = cols ? t.ndim == 2 && t.shape[0] == rows && t.shape[1] == cols : t.ndim == 1 && t.shape[0] == rows;
            CHECK(ok, "%s: shape [%lld, %lld]", name, (long long)t.shape[0], (long long)t.shape[1]);
            CHECK(cols ? strcmp(t.type_name, "F16") == 0 || strcmp(t.type_name, "Q8_0") == 0
                       : strcmp(t.type_name, "F32") == 0,
                  "%s: type %s", name, t.type_name);
        }
    CHECK(vkattn_gguf_find_tensor(g, "token_embd.weight", &t) == VKATTN_OK && t.ndim == 2 &&
              t.shape[0] == (int64_t)n_vocab && t.shape[1] == dim,
          "token_embd.weight: [n_vocab, dim]");
    vkattn_gguf_close(g);
    return th_finish(NULL);
}
