/* vkattn bench encoder: throughput of the encoders on synthetic models of real sizes, loaded through the same
 * Hugging Face directory path as real ones (written to a scratch directory with seeded random F16 weights):
 * BERT-base (hidden 768, 12 layers, 12 heads, FFN 3072, vocab 30522): sentences/s per (sequence length, batch);
 * ViT-B/16 (224x224, 16x16 patches, 197 tokens, 1000 labels): images/s per batch. Times are the mean of --reps
 * runs after one warm-up run (pipelines created, caches warm). Writes PREFIX.json / PREFIX.md with -o. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct bench_shape {
    uint32_t seq, batch;
} bench_shape;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float frand(void) { /* xorshift64*: uniform in [-1, 1) */
    rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
    return (float)((rng_state * 2685821657736338717ull) >> 40) / (float)(1u << 23) - 1.0f;
}

/* A tensor of shape with values scale * U(-1, 1) (+ offset), stored F16. */
static int add(vkattn_st_writer *w, const char *name, uint32_t ndim, const int64_t *shape, float scale, float offset) {
    uint64_t n = 1;
    for (uint32_t i = 0; i < ndim; i++) n *= (uint64_t)shape[i];
    float *f = malloc(n * sizeof *f);
    uint16_t *h = malloc(n * sizeof *h);
    int rc = !f || !h;
    for (uint64_t i = 0; !rc && i < n; i++) f[i] = offset + scale * frand();
    /* f32 -> f16 by hand (no public host converter): rounding up at half, subnormals flushed; fine for random weights */
    for (uint64_t i = 0; !rc && i < n; i++) {
        union { float f; uint32_t u; } c = {f[i]};
        uint32_t sign = (c.u >> 16) & 0x8000u, e = (c.u >> 23) & 0xFF, m = c.u & 0x7FFFFF;
        int32_t ee = (int32_t)e - 127 + 15;
        h[i] = (uint16_t)(ee <= 0 ? sign : ee >= 31 ? sign | 0x7C00u : sign | (uint32_t)ee << 10 | (m + 0x1000u) >> 13);
    }
    if (!rc && vkattn_st_writer_add(w, name, VKATTN_F16, ndim, shape, h)) rc = cli_fail("bench model", VKATTN_ERROR_INVALID_ARGUMENT, NULL);
    free(f), free(h);
    return rc;
}

static int write_text(const char *dir, const char *name, const char *text) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return fprintf(stderr, "vkattn bench encoder: cannot write %s\n", path), 1;
    fputs(text, f);
    return fclose(f) != 0;
}

/* Layer weights under pattern names (BERT or ViT). */
static int add_layers(vkattn_st_writer *w, const char *pre, const char *const names[8], uint32_t layers, int64_t D, int64_t I) {
    int rc = 0;
    for (uint32_t l = 0; l < layers && !rc; l++)
        for (int k = 0; k < 8 && !rc; k++) {
            char base[256], wn[300], bn[300];
            snprintf(base, sizeof base, "%sencoder.layer.%u.%s", pre, l, names[k]);
            snprintf(wn, sizeof wn, "%s.weight", base), snprintf(bn, sizeof bn, "%s.bias", base);
            int ln = k == 4 || k == 7;
            int64_t rows = k == 5 ? I : D, cols = k == 6 ? I : D;
            if (ln) rc = add(w, wn, 1, &D, 0.1f, 1.0f) || add(w, bn, 1, &D, 0.1f, 0);
            else rc = add(w, wn, 2, (int64_t[]){rows, cols}, 0.03f, 0) || add(w, bn, 1, &rows, 0.02f, 0);
        }
    return rc;
}

static int write_bert(const char *dir) {
    const int64_t D = 768, I = 3072, V = 30522, P = 512;
    static const char *const names[8] = {"attention.self.query", "attention.self.key", "attention.self.value",
                                         "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
                                         "output.dense", "output.LayerNorm"};
    vkattn_st_writer *w = NULL;
    if (vkattn_st_writer_create(&w)) return 1;
    char path[1200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    int rc = add(w, "embeddings.word_embeddings.weight", 2, (int64_t[]){V, D}, 0.05f, 0) ||
             add(w, "embeddings.position_embeddings.weight", 2, (int64_t[]){P, D}, 0.05f, 0) ||
             add(w, "embeddings.token_type_embeddings.weight", 2, (int64_t[]){2, D}, 0.05f, 0) ||
             add(w, "embeddings.LayerNorm.weight", 1, &D, 0.1f, 1) || add(w, "embeddings.LayerNorm.bias", 1, &D, 0.1f, 0) ||
             add_layers(w, "", names, 12, D, I) || vkattn_st_writer_save(w, path) != VKATTN_OK;
    vkattn_st_writer_destroy(w);
    return rc || write_text(dir, "config.json",
                            "{\"model_type\": \"bert\", \"hidden_size\": 768, \"num_hidden_layers\": 12, "
                            "\"num_attention_heads\": 12, \"intermediate_size\": 3072, \"vocab_size\": 30522, "
                            "\"max_position_embeddings\": 512, \"type_vocab_size\": 2, \"hidden_act\": \"gelu\"}") ||
           write_text(dir, "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
}

static int write_vit(const char *dir) {
    const int64_t D = 768, I = 3072, T = 197, C = 1000;
    static const char *const names[8] = {"attention.attention.query", "attention.attention.key", "attention.attention.value",
                                         "attention.output.dense", "layernorm_before", "intermediate.dense", "output.dense",
                                         "layernorm_after"};
    vkattn_st_writer *w = NULL;
    if (vkattn_st_writer_create(&w)) return 1;
    char path[1200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    int rc = add(w, "vit.embeddings.cls_token", 3, (int64_t[]){1, 1, D}, 0.05f, 0) ||
             add(w, "vit.embeddings.position_embeddings", 3, (int64_t[]){1, T, D}, 0.05f, 0) ||
             add(w, "vit.embeddings.patch_embeddings.projection.weight", 4, (int64_t[]){D, 3, 16, 16}, 0.03f, 0) ||
             add(w, "vit.embeddings.patch_embeddings.projection.bias", 1, &D, 0.02f, 0) ||
             add_layers(w, "vit.", names, 12, D, I) || add(w, "vit.layernorm.weight", 1, &D, 0.1f, 1) ||
             add(w, "vit.layernorm.bias", 1, &D, 0.1f, 0) || add(w, "classifier.weight", 2, (int64_t[]){C, D}, 0.03f, 0) ||
             add(w, "classifier.bias", 1, &C, 0.02f, 0) || vkattn_st_writer_save(w, path) != VKATTN_OK;
    vkattn_st_writer_destroy(w);
    return rc || write_text(dir, "config.json",
                            "{\"model_type\": \"vit\", \"hidden_size\": 768, \"num_hidden_layers\": 12, "
                            "\"num_attention_heads\": 12, \"intermediate_size\": 3072, \"image_size\": 224, "
                            "\"patch_size\": 16, \"num_labels\": 1000, \"hidden_act\": \"gelu\"}");
}

static void remove_dir(const char *dir) {
    const char *files[] = {"model.safetensors", "config.json", "vocab.txt"};
    char path[1200];
    for (size_t i = 0; i < 3; i++) snprintf(path, sizeof path, "%s/%s", dir, files[i]), remove(path);
    rmdir(dir);
}

static void report_row(bench_report *r, const char *model, uint32_t seq, uint32_t batch, double ms) {
    bench_row_begin(r);
    bench_col_str(r, "model", model);
    bench_col_num(r, "seq", seq, "%.0f");
    bench_col_num(r, "batch", batch, "%.0f");
    bench_col_num(r, "ms_per_batch", ms, "%.1f");
    bench_col_num(r, "items_per_s", batch * 1000.0 / ms, "%.3f");
    bench_col_num(r, "tokens_per_s", (double)batch * seq * 1000.0 / ms, "%.1f");
    bench_row_end(r);
}

/* Writes a synthetic model with writer() into dir, loads it, removes the files. */
static int load_model(vkattn_context *ctx, const char *dir, int (*writer)(const char *), const char *what,
                      vkattn_encoder **enc) {
    int rc = 0;
    if (mkdir(dir, 0700) != 0 || writer(dir)) {
        fprintf(stderr, "vkattn bench encoder: cannot write %s\n", dir);
        rc = 1;
    }
    vkattn_status st = rc ? VKATTN_OK : vkattn_encoder_create(ctx, dir, enc);
    if (st) rc = cli_fail(what, st, ctx);
    remove_dir(dir);
    return rc;
}

/* --shapes SEQxBATCH,...: returns the count ("": none), or -1 after printing why. */
static int parse_shapes(const char *s, bench_shape *out, int cap) {
    if (!*s) return 0;
    for (int n = 0;;) {
        char item[32];
        uint32_t v[2], k = 0;
        size_t len = strcspn(s, ",");
        if (n == cap || len >= sizeof item) return -1;
        memcpy(item, s, len), item[len] = 0;
        if (cli_parse_list(NULL, "--shapes", item, 'x', 1, 4096, v, 2, &k) || k != 2) return -1;
        out[n++] = (bench_shape){v[0], v[1]};
        if (!s[len]) return n;
        s += len + 1;
    }
}

int bench_encoder(int argc, char **argv) {
    const char *device = NULL, *out = NULL, *scratch = NULL;
    bench_shape shapes[16];
    int n_shapes = parse_shapes("128x1,512x1,128x32,512x32", shapes, 16);
    uint32_t images[8] = {1, 8}, n_images = 2, reps = 2;
    int profile = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vkattn bench encoder [--shapes SEQxBATCH,...] [--images N,...] [--reps N] [--scratch DIR]\n"
                   "                            [--profile] [--device D] [-o PREFIX]\n"
                   "BERT-base sentences/s (default shapes 128x1,512x1,128x32,512x32) and ViT-B/16 images/s (batches\n"
                   "1,8; --images 0 skips), synthetic F16 models written to DIR (default /tmp) and removed after.\n");
            return 0;
        } else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) out = argv[++i];
        else if (strcmp(argv[i], "--profile") == 0) profile = 1;
        else if (strcmp(argv[i], "--scratch") == 0 && i + 1 < argc) scratch = argv[++i];
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            if (cli_parse_uint("bench encoder", argv[i], argv[i + 1], 1, 1000, &reps)) return 2;
            i++;
        } else if (strcmp(argv[i], "--shapes") == 0 && i + 1 < argc) {
            if ((n_shapes = parse_shapes(argv[++i], shapes, 16)) < 0)
                return cli_bad_value("bench encoder", "--shapes", argv[i], "up to 16 SEQxBATCH pairs (1 to 4096) separated by ','");
        } else if (strcmp(argv[i], "--images") == 0 && i + 1 < argc) {
            if (strcmp(argv[++i], "0") == 0) n_images = 0; /* skips the ViT */
            else if (cli_parse_list("bench encoder", "--images", argv[i], ',', 1, 256, images, 8, &n_images)) return 2;
        } else {
            fprintf(stderr, "vkattn bench encoder: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    vkattn_context *ctx = cli_context(device, profile);
    if (!ctx) return 1;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/vkattn-bench-encoder-%ld", scratch ? scratch : "/tmp", (long)getpid());
    bench_report *r = bench_report_create("encoder", ctx);
    int rc = 0;
    vkattn_encoder *enc = NULL;
    if (n_shapes) {
        rc = load_model(ctx, dir, write_bert, "loading the BERT-base model", &enc);
        bench_note(r, "BERT-base: hidden 768, 12 layers, 12 heads, FFN 3072; F16 weights held as F32; random token ids");
        for (int s = 0; !rc && s < n_shapes; s++) {
            const uint32_t L = shapes[s].seq, B = shapes[s].batch;
            int32_t *ids = malloc((size_t)B * L * sizeof *ids);
            const int32_t **rows = malloc(B * sizeof *rows);
            uint32_t *lens = malloc(B * sizeof *lens);
            float *pooled = malloc((size_t)B * 768 * sizeof *pooled);
            if (!ids || !rows || !lens || !pooled) rc = 1;
            for (uint32_t i = 0; !rc && i < B * L; i++) ids[i] = 4 + (int32_t)((frand() + 1) * 15000);
            for (uint32_t b = 0; !rc && b < B; b++) rows[b] = ids + (size_t)b * L, lens[b] = L;
            vkattn_encoder_outputs o = {.pooled = pooled};
            double t0 = 0;
            for (uint32_t k = 0; !rc && k <= reps; k++) {
                if (k == 1) t0 = bench_now_ms();
                vkattn_status e = vkattn_encoder_forward(enc, (const int32_t *const *)rows, lens, B, &o);
                if (e) rc = cli_fail("BERT forward", e, ctx);
            }
            if (!rc) report_row(r, "bert-base", L, B, (bench_now_ms() - t0) / reps);
            free(ids), free(rows), free(lens), free(pooled);
        }
        vkattn_encoder_destroy(enc), enc = NULL;
    }
    if (!rc && n_images) {
        rc = load_model(ctx, dir, write_vit, "loading the ViT-B/16 model", &enc);
        bench_note(r, "ViT-B/16: 224x224, 197 tokens, hidden 768, 12 layers, 1000 labels; random 224x224 images (no resize)");
        for (uint32_t s = 0; !rc && s < n_images; s++) {
            const uint32_t B = images[s];
            vkattn_image *imgs = calloc(B, sizeof *imgs);
            float *px = malloc((size_t)224 * 224 * 3 * sizeof *px), *logits = malloc((size_t)B * 1000 * sizeof *logits);
            if (!imgs || !px || !logits) rc = 1;
            for (uint32_t i = 0; !rc && i < 224 * 224 * 3; i++) px[i] = (frand() + 1) / 2;
            for (uint32_t b = 0; !rc && b < B; b++) imgs[b] = (vkattn_image){224, 224, px};
            vkattn_encoder_outputs o = {.logits = logits};
            double t0 = 0;
            for (uint32_t k = 0; !rc && k <= reps; k++) {
                if (k == 1) t0 = bench_now_ms();
                vkattn_status e = vkattn_encoder_forward_images(enc, imgs, B, &o);
                if (e) rc = cli_fail("ViT forward", e, ctx);
            }
            if (!rc) report_row(r, "vit-b16", 197, B, (bench_now_ms() - t0) / reps);
            free(imgs), free(px), free(logits);
        }
        vkattn_encoder_destroy(enc);
    }
    if (profile) cli_print_profile(ctx, stdout);
    if (!rc && out && bench_report_save(r, out)) rc = 1;
    bench_report_destroy(r);
    vkattn_context_destroy(ctx);
    return rc;
}
