/* Reply bodies of vkattn serve, as OpenAI's API and llama-server write them: errors, completions (whole and
 * as SSE chunks), model lists, base64 embeddings, Prometheus metrics. */
#include "server.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *print_delete(cJSON *o) {
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

/* cJSON strings are NUL-terminated: text[0..len) copied first. */
static cJSON *string_n(const char *text, size_t len) {
    char *t = malloc(len + 1);
    if (!t) return NULL;
    memcpy(t, text, len);
    t[len] = 0;
    cJSON *s = cJSON_CreateString(t);
    free(t);
    return s;
}

char *srv_error_json(const srv_error *err) {
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddNumberToObject(e, "code", err->status);
    cJSON_AddStringToObject(e, "message", err->message);
    cJSON_AddStringToObject(e, "type", err->type ? err->type : "server_error");
    if (err->param[0]) cJSON_AddStringToObject(e, "param", err->param);
    else cJSON_AddNullToObject(e, "param");
    return print_delete(o);
}

static cJSON *usage(uint32_t n_prompt, uint32_t n_gen) {
    cJSON *u = cJSON_CreateObject();
    cJSON_AddNumberToObject(u, "prompt_tokens", n_prompt);
    cJSON_AddNumberToObject(u, "completion_tokens", n_gen);
    cJSON_AddNumberToObject(u, "total_tokens", (double)n_prompt + n_gen);
    return u;
}

static cJSON *envelope(const srv_reply_ctx *c, int chunk) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->id);
    cJSON_AddStringToObject(o, "object", c->chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion");
    cJSON_AddNumberToObject(o, "created", (double)c->created);
    cJSON_AddStringToObject(o, "model", c->model);
    cJSON_AddStringToObject(o, "system_fingerprint", "vkattn");
    return o;
}

char *srv_completion_json(const srv_reply_ctx *c, const char *text, size_t len, const char *finish, uint32_t n_prompt,
                          uint32_t n_gen) {
    cJSON *o = envelope(c, 0), *ch = cJSON_AddArrayToObject(o, "choices"), *c0 = cJSON_CreateObject();
    cJSON_AddItemToArray(ch, c0);
    cJSON_AddNumberToObject(c0, "index", 0);
    if (c->chat) {
        cJSON *m = cJSON_AddObjectToObject(c0, "message");
        cJSON_AddStringToObject(m, "role", "assistant");
        cJSON_AddItemToObject(m, "content", string_n(text, len));
    } else {
        cJSON_AddItemToObject(c0, "text", string_n(text, len));
    }
    cJSON_AddNullToObject(c0, "logprobs");
    cJSON_AddStringToObject(c0, "finish_reason", finish);
    cJSON_AddItemToObject(o, "usage", usage(n_prompt, n_gen));
    return print_delete(o);
}

char *srv_chunk_sse(const srv_reply_ctx *c, const char *text, size_t len, int first, const char *finish) {
    cJSON *o = envelope(c, 1), *ch = cJSON_AddArrayToObject(o, "choices"), *c0 = cJSON_CreateObject();
    cJSON_AddItemToArray(ch, c0);
    cJSON_AddNumberToObject(c0, "index", 0);
    if (c->chat) {
        cJSON *d = cJSON_AddObjectToObject(c0, "delta");
        if (first) cJSON_AddStringToObject(d, "role", "assistant");
        if (len || first) cJSON_AddItemToObject(d, "content", string_n(text, len));
    } else {
        cJSON_AddItemToObject(c0, "text", string_n(text, len));
    }
    cJSON_AddNullToObject(c0, "logprobs");
    if (finish) cJSON_AddStringToObject(c0, "finish_reason", finish);
    else cJSON_AddNullToObject(c0, "finish_reason");
    return srv_sse(print_delete(o));
}

char *srv_usage_sse(const srv_reply_ctx *c, uint32_t n_prompt, uint32_t n_gen) {
    cJSON *o = envelope(c, 1);
    cJSON_AddArrayToObject(o, "choices");
    cJSON_AddItemToObject(o, "usage", usage(n_prompt, n_gen));
    return srv_sse(print_delete(o));
}

char *srv_sse(char *json) {
    if (!json) return NULL;
    size_t n = strlen(json);
    char *s = malloc(n + 9);
    if (s) {
        memcpy(s, "data: ", 6);
        memcpy(s + 6, json, n);
        memcpy(s + 6 + n, "\n\n", 3);
    }
    free(json);
    return s;
}

char *srv_models_json(const char *model, long created, const vkattn_model_info *info) {
    cJSON *o = cJSON_CreateObject(), *d = cJSON_AddArrayToObject(o, "data"), *m = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "object", "list");
    cJSON_AddItemToArray(d, m);
    cJSON_AddStringToObject(m, "id", model);
    cJSON_AddStringToObject(m, "object", "model");
    cJSON_AddNumberToObject(m, "created", (double)created);
    cJSON_AddStringToObject(m, "owned_by", "vkattn");
    cJSON *meta = cJSON_AddObjectToObject(m, "meta"); /* llama-server's extra fields */
    cJSON_AddStringToObject(meta, "arch", info->arch);
    cJSON_AddNumberToObject(meta, "n_vocab", info->n_vocab);
    cJSON_AddNumberToObject(meta, "n_ctx_train", info->n_ctx_train);
    cJSON_AddNumberToObject(meta, "n_embd", info->n_embd);
    cJSON_AddNumberToObject(meta, "n_params", (double)info->n_params);
    return print_delete(o);
}

char *srv_b64_floats(const float *v, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const size_t bytes = n * 4;
    char *out = malloc((bytes + 2) / 3 * 4 + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < bytes; i += 3) {
        unsigned char b[3] = {0, 0, 0};
        size_t k = bytes - i < 3 ? bytes - i : 3;
        for (size_t j = 0; j < k; j++) { /* little-endian f32 bytes, as numpy's float32 tobytes() */
            uint32_t w;
            memcpy(&w, &v[(i + j) / 4], 4);
            b[j] = (unsigned char)(w >> (8 * ((i + j) % 4)));
        }
        out[o++] = tab[b[0] >> 2];
        out[o++] = tab[((b[0] & 3) << 4) | (b[1] >> 4)];
        out[o++] = k > 1 ? tab[((b[1] & 15) << 2) | (b[2] >> 6)] : '=';
        out[o++] = k > 2 ? tab[b[2] & 63] : '=';
    }
    out[o] = 0;
    return out;
}

char *srv_metrics_text(const srv_metrics *m) {
    char *s = malloc(2048);
    if (!s) return NULL;
    snprintf(s, 2048,
             "# HELP vkattn_requests_total HTTP requests received.\n# TYPE vkattn_requests_total counter\n"
             "vkattn_requests_total %llu\n"
             "# HELP vkattn_prompt_tokens_total Prompt tokens processed.\n# TYPE vkattn_prompt_tokens_total counter\n"
             "vkattn_prompt_tokens_total %llu\n"
             "# HELP vkattn_tokens_predicted_total Tokens generated.\n# TYPE vkattn_tokens_predicted_total counter\n"
             "vkattn_tokens_predicted_total %llu\n"
             "# HELP vkattn_tokens_predicted_seconds_total Wall time with at least one slot generating.\n"
             "# TYPE vkattn_tokens_predicted_seconds_total counter\n"
             "vkattn_tokens_predicted_seconds_total %.3f\n"
             "# HELP vkattn_predicted_tokens_per_second Average generation throughput (all slots).\n"
             "# TYPE vkattn_predicted_tokens_per_second gauge\n"
             "vkattn_predicted_tokens_per_second %.3f\n"
             "# HELP vkattn_requests_deferred Requests waiting for a slot.\n# TYPE vkattn_requests_deferred gauge\n"
             "vkattn_requests_deferred %u\n"
             "# HELP vkattn_slots_busy Slots generating.\n# TYPE vkattn_slots_busy gauge\n"
             "vkattn_slots_busy %u\n"
             "# HELP vkattn_slots_total Slots (--parallel).\n# TYPE vkattn_slots_total gauge\n"
             "vkattn_slots_total %u\n",
             (unsigned long long)m->requests, (unsigned long long)m->prompt_tokens, (unsigned long long)m->generated_tokens,
             m->generate_seconds, m->generate_seconds > 0 ? m->generated_tokens / m->generate_seconds : 0.0, m->queue_depth,
             m->slots_busy, m->n_slots);
    return s;
}
