/* vkattn: command-line front end. Thin: every subcommand is a call into the library. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"info", cmd_info, "list Vulkan devices and their capabilities"},
    {"selftest", cmd_selftest, "check every kernel on this device against the C references (run it first on a new GPU)"},
    {"bench", cmd_bench, "benchmarks: startup, attention, gemm (JSON + Markdown reports)"},
    {"inspect", cmd_inspect, "list the metadata and tensors of a .gguf or .safetensors file"},
    {"op", cmd_op, "run one op on tensors from a safetensors file (tests, debugging)"},
    {"tokenize", cmd_tokenize, "text -> token ids with a GGUF file's vocabulary, as llama-tokenize"},
    {"run", cmd_run, "generate text with a GGUF model (llama, qwen2, gpt2); no -m: the built-in demo model"},
    {"chat", cmd_chat, "a conversation with a chat model in the terminal (chat template, KV cache kept between turns)"},
    {"serve", cmd_serve, "OpenAI-compatible HTTP server (llama-server's endpoints), batched concurrent requests"},
    {"template", cmd_template, "render a conversation with a chat template (built-in, a Jinja file, or the GGUF's)"},
    {"perplexity", cmd_perplexity, "perplexity of a GGUF model over a text file (llama.cpp's method)"},
    {"embed", cmd_embed, "sentence embeddings with a BERT-style encoder (JSON; --similarity)"},
    {"attn-map", cmd_attn_map, "PNG of one attention head: token heat map, or [CLS] attention over an image"},
    {"seq2seq", cmd_seq2seq, "encoder-decoder Transformer (nn.Transformer weights): greedy or beam decoding"},
    {"classify-image", cmd_classify_image, "image classification with a ViT (top-5 labels)"},
    {"classify", cmd_classify, "text classification with a BERT sequence classifier (label + probabilities)"},
};

static void usage(FILE *f) {
    fprintf(f, "vkattn %d.%d.%d: Vulkan compute engine for attention and transformer inference\n\n"
               "usage: vkattn <command> [options]   (vkattn <command> --help for its options)\n\ncommands:\n",
            VKATTN_VERSION_MAJOR, VKATTN_VERSION_MINOR, VKATTN_VERSION_PATCH);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) fprintf(f, "  %-20s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nenvironment:\n"
               "  VKATTN_DEVICE=<index|name|type>   device to use (default: discrete > integrated > virtual > cpu)\n"
               "  VKATTN_VALIDATION=1               enable VK_LAYER_KHRONOS_validation\n"
               "  VKATTN_PROFILE=1                  per-kernel GPU timestamps\n"
               "  VKATTN_DISABLE_<FP16|STORAGE16|STORAGE8|INT8|INT8DOT|SUBGROUP|COOPMAT>=1  switch a feature off\n"
               "  VKATTN_GEMM=<tiled|blocked|ks>    force the linear/GEMM kernel (default: picked per device)\n"
               "  VK_DRIVER_FILES=<icd.json>        pick a Vulkan driver (e.g. lavapipe, SwiftShader)\n");
}

int cli_is_help(const char *a) { return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0; }

int cli_fail(const char *what, vkattn_status st, const vkattn_context *ctx) {
    fprintf(stderr, "vkattn: %s: %s: %s\n", what, vkattn_status_string(st), vkattn_context_error(ctx));
    return 1;
}

vkattn_context *cli_context(const char *device, int profiling) {
    vkattn_context_desc desc = {.device = device, .profiling = profiling};
    vkattn_context *ctx = NULL;
    vkattn_status st = vkattn_context_create(&desc, &ctx);
    if (st != VKATTN_OK) cli_fail("creating the context", st, NULL);
    return ctx;
}

char *cli_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n == cap) {
            char *p = realloc(buf, cap = cap ? 2 * cap : 1 << 16);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got);
    fclose(f);
    *len = n;
    return buf;
}

void cli_print_profile(const vkattn_context *ctx, FILE *f) {
    vkattn_profile_entry e[128];
    uint32_t n = vkattn_profile_get(ctx, e, 128);
    if (n > 128) n = 128;
    double total = 0;
    for (uint32_t i = 0; i < n; i++) total += e[i].total_ms;
    fprintf(f, "%-32s %8s %12s %10s %6s\n", "kernel", "calls", "total ms", "avg ms", "%");
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "%-32s %8u %12.3f %10.4f %5.1f%%\n", e[i].label, e[i].count, e[i].total_ms, e[i].total_ms / e[i].count,
                total > 0 ? 100 * e[i].total_ms / total : 0);
    fprintf(f, "%-32s %8s %12.3f\n", "total", "", total);
}

int main(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vkattn %d.%d.%d\n", VKATTN_VERSION_MAJOR, VKATTN_VERSION_MINOR, VKATTN_VERSION_PATCH);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vkattn: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
}
