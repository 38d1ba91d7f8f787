/* vkattn serve: an OpenAI-compatible HTTP server with llama-server's endpoints (src/server/). This file only
 * reads options, loads the model (and the embedding encoder), starts the engine and the listener, and waits for
 * SIGINT / SIGTERM. */
#include "chat_cli.h"
#include "cli.h"
#include "demo_model.h"
#include "server.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn serve [-m MODEL.gguf] [--host 127.0.0.1] [--port 8080] [--parallel N] [-c CTX]\n"
               "                    [--api-key KEY] [--embedding-model DIR] [options]\n\n"
               "An OpenAI-compatible HTTP server with llama-server's endpoints: GET /health, /v1/models, /metrics;\n"
               "POST /v1/chat/completions, /v1/completions (stream: SSE), /v1/embeddings, /tokenize, /detokenize,\n"
               "/apply-template. Concurrent requests share batched forward passes. Without -m: the built-in demo model.\n\n"
               "  -m FILE                GGUF model (llama, qwen2, gpt2)\n"
               "  --host ADDR            address to bind (default 127.0.0.1: this machine only)\n"
               "  --port N               TCP port (default 8080)\n"
               "  -np, --parallel N      slots: requests generated at the same time (default 4, at most 64)\n"
               "  -c N                   KV cache tokens in all, split evenly between the slots, as llama-server\n"
               "                         (default: the model's context, at most 4096, times the slots)\n"
               "  -b N                   most tokens in one forward pass (default 512)\n"
               "  --api-key KEY          require \"Authorization: Bearer KEY\" on every endpoint but /health\n"
               "                         (or set VKATTN_API_KEY)\n"
               "  --embedding-model DIR  BERT-style Hugging Face directory for /v1/embeddings, pooled and normalised\n"
               "                         as its sentence-transformers modules say (as vkattn embed; else [CLS])\n"
               "  --chat-template NAME|FILE  chat template: a built-in (%s) or a Jinja file\n"
               "                         (default: the model's tokenizer.chat_template, else chatml)\n"
               "  --alias NAME           model id in /v1/models and replies (default: the file name)\n"
               "  --queue N              requests that may wait for a slot; beyond, 503 (default 64)\n"
               "  --max-body BYTES       largest request body; beyond, 413 (default 4194304)\n"
               "  --device D             device index, type or name substring\n"
               "  --kv-f32               f32 KV cache even with 16-bit storage\n"
               "sampling: the defaults of requests that do not set temperature, top_k, top_p, min_p, repeat_penalty,\n"
               "repeat_last_n, frequency_penalty, presence_penalty, seed (as llama-server; without --seed, a random\n"
               "seed per request):\n"
               CLI_SAMPLING_USAGE,
            vkattn_chat_builtin_names());
}

typedef struct serve_opts {
    const char *model, *host, *api_key, *embedding, *alias, *device, *chat_template;
    unsigned long port, parallel, n_ctx, n_batch, queue, max_body;
    int kv_f32;
    cli_sampling sampling;
} serve_opts;

static int parse_ulong(const char *opt, const char *v, unsigned long lo, unsigned long hi, unsigned long *out) {
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        fprintf(stderr, "vkattn serve: %s needs an integer in [%lu, %lu], got \"%s\"\n", opt, lo, hi, v);
        return 2;
    }
    *out = x;
    return 0;
}

static int parse_args(int argc, char **argv, serve_opts *o) {
    o->host = "127.0.0.1";
    o->port = 8080;
    o->parallel = 4;
    o->queue = 64;
    o->max_body = 4u << 20;
    o->api_key = getenv("VKATTN_API_KEY");
    cli_sampling_init(&o->sampling);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--kv-f32") == 0) {
            o->kv_f32 = 1;
            continue;
        }
        int rc = 0;
        if (cli_sampling_option("serve", a, v, &o->sampling, &rc)) {
            if (rc) return rc;
            i++;
            continue;
        }
        if (!v) {
            fprintf(stderr, "vkattn serve: %s needs a value (see --help)\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) o->model = v;
        else if (strcmp(a, "--host") == 0) o->host = v;
        else if (strcmp(a, "--api-key") == 0) o->api_key = v;
        else if (strcmp(a, "--embedding-model") == 0) o->embedding = v;
        else if (strcmp(a, "--alias") == 0 || strcmp(a, "-a") == 0) o->alias = v;
        else if (strcmp(a, "--device") == 0) o->device = v;
        else if (strcmp(a, "--chat-template") == 0) o->chat_template = v;
        else if (strcmp(a, "--port") == 0) rc = parse_ulong(a, v, 1, 65535, &o->port);
        else if (strcmp(a, "--parallel") == 0 || strcmp(a, "-np") == 0) rc = parse_ulong(a, v, 1, 64, &o->parallel);
        else if (strcmp(a, "-c") == 0 || strcmp(a, "--ctx-size") == 0) rc = parse_ulong(a, v, 1, 1u << 24, &o->n_ctx);
        else if (strcmp(a, "-b") == 0 || strcmp(a, "--batch-size") == 0) rc = parse_ulong(a, v, 1, 1u << 16, &o->n_batch);
        else if (strcmp(a, "--queue") == 0) rc = parse_ulong(a, v, 0, 1u << 16, &o->queue);
        else if (strcmp(a, "--max-body") == 0) rc = parse_ulong(a, v, 1024, 1ul << 30, &o->max_body);
        else {
            fprintf(stderr, "vkattn serve: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (rc) return rc;
    }
    return 0;
}

/* The model id clients see: --alias, else the file name without its directory. */
static const char *model_id(const serve_opts *o) {
    if (o->alias) return o->alias;
    if (!o->model) return "vkattn-demo";
    const char *s = strrchr(o->model, '/');
    return s ? s + 1 : o->model;
}

int cmd_serve(int argc, char **argv) {
    serve_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    size_t size = 0;
    const void *data = NULL;
    if (!o.model && !(data = demo_model_data(&size))) {
        fprintf(stderr, "vkattn serve: this build has no built-in model: give a GGUF with -m\n");
        return 2;
    }
    /* signals: blocked here so every thread inherits the mask, then waited for below */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, NULL);

    vkattn_context *ctx = cli_context(o.device, 0);
    if (!ctx) return 1;
    vkattn_model *m = NULL;
    vkattn_encoder *enc = NULL;
    srv_engine *e = NULL;
    srv_http *h = NULL;
    /* the context per slot: -c / N, as llama-server; without -c, the model's (at most 4096) for each slot */
    vkattn_model_desc md = {.n_seq = (uint32_t)o.parallel, .n_batch = (uint32_t)o.n_batch, .kv_f32 = o.kv_f32};
    if (o.n_ctx) {
        md.n_ctx = (uint32_t)(o.n_ctx / o.parallel);
        if (md.n_ctx < 8) {
            fprintf(stderr, "vkattn serve: -c %lu leaves %u tokens for each of %lu slots; give at least %lu\n", o.n_ctx,
                    md.n_ctx, o.parallel, 8 * o.parallel);
            vkattn_context_destroy(ctx);
            return 2;
        }
    }
    m = cli_load_model(ctx, o.model, data, size, &md, NULL);
    vkattn_model_info mi = {0};
    if (!m) rc = 1;
    else vkattn_model_get_info(m, &mi);
    if (!rc && !vkattn_model_tokenizer(m)) {
        fprintf(stderr, "vkattn serve: %s has no tokenizer (tokenizer.ggml.* metadata): a server needs one\n", o.model);
        rc = 1;
    }
    vkattn_status st;
    /* the chat template, parsed once; its BOS / EOS texts */
    vkattn_chat_template *tmpl = NULL;
    char *src = NULL, *bos = NULL, *eos = NULL;
    if (!rc && !(src = cli_chat_template("serve", o.chat_template, vkattn_model_chat_template(m)))) rc = 2;
    if (!rc && (st = vkattn_chat_template_create(src, &tmpl))) {
        fprintf(stderr, "vkattn serve: chat template%s%s: %s\n", o.chat_template ? " " : "", o.chat_template ? o.chat_template : "",
                vkattn_context_error(NULL));
        rc = 2;
    }
    if (!rc) {
        vkattn_tokenizer_info ti;
        vkattn_tokenizer_get_info(vkattn_model_tokenizer(m), &ti);
        bos = cli_token_text(vkattn_model_tokenizer(m), ti.bos_id);
        eos = cli_token_text(vkattn_model_tokenizer(m), ti.eos_id);
    }
    if (!rc && o.embedding && (st = vkattn_encoder_create(ctx, o.embedding, &enc))) rc = cli_fail(o.embedding, st, ctx);
    if (!rc) {
        const srv_engine_desc ed = {.ctx = ctx, .model = m, .encoder = enc, .n_slots = (uint32_t)o.parallel,
                                    .queue_size = (uint32_t)o.queue};
        if ((st = srv_engine_create(&ed, &e))) rc = cli_fail("starting the engine", st, NULL);
    }
    if (!rc) {
        const srv_config cfg = {.host = o.host, .port = (uint16_t)o.port, .api_key = o.api_key, .model_id = model_id(&o),
                                .max_body = o.max_body, .max_connections = (uint32_t)(o.parallel + o.queue + 64),
                                .chat = {tmpl, bos, eos}, .sampling = cli_sampling_desc(&o.sampling, mi.n_ctx),
                                .seed_set = o.sampling.seed_set};
        if (srv_http_start(&cfg, e, m, &h)) rc = 1;
    }
    if (!rc) {
        fprintf(stderr, "vkattn serve: %s (%s, %s) on %s: %lu slots of %u tokens, batch %u%s%s\n", model_id(&o), mi.arch,
                mi.weight_type, vkattn_context_device(ctx)->name, o.parallel, mi.n_ctx, mi.n_batch,
                o.api_key && *o.api_key ? ", API key required" : "", enc ? ", embeddings" : "");
        fprintf(stderr, "vkattn serve: listening on http://%s:%lu (Ctrl-C stops)\n", o.host, o.port);
        int sig = 0;
        sigwait(&sigs, &sig);
        fprintf(stderr, "vkattn serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    srv_engine_stop(e);
    srv_http_stop(h);
    srv_engine_destroy(e);
    vkattn_encoder_destroy(enc);
    vkattn_chat_template_destroy(tmpl);
    free(src);
    free(bos);
    free(eos);
    vkattn_model_destroy(m);
    char first[1024];
    if (vkattn_context_validation_messages(ctx, first, sizeof first)) {
        fprintf(stderr, "vkattn serve: validation messages; first: %s\n", first);
        rc = 1;
    }
    vkattn_context_destroy(ctx);
    return rc;
}
