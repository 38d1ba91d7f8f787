/* vkattn serve (internal): an OpenAI-compatible HTTP server with llama-server's endpoints.
 *   request.c  pure request parsing: method, path, headers, body -> srv_request or an HTTP error (fuzzable)
 *   reply.c    JSON / SSE / Prometheus bodies of the replies
 *   engine.c   slots, the bounded queue and the generation loop (one batched forward pass per step)
 *   http.c     libmicrohttpd glue: connections, bodies, streaming, disconnects
 * Host-only code: no Vulkan, only the public vkattn API. Built as the static library vkattn_server. */
#ifndef VKATTN_SERVER_H
#define VKATTN_SERVER_H

#include "vkattn.h"

#include <stddef.h>
#include <stdint.h>

/* ---- requests (request.c) ------------------------------------------------------------------------ */

typedef enum srv_endpoint {
    SRV_HEALTH = 1,
    SRV_MODELS,
    SRV_METRICS,
    SRV_CHAT,           /* POST /v1/chat/completions (also /chat/completions) */
    SRV_COMPLETIONS,    /* POST /v1/completions (also /completions) */
    SRV_EMBEDDINGS,     /* POST /v1/embeddings (also /embeddings) */
    SRV_TOKENIZE,       /* POST /tokenize */
    SRV_DETOKENIZE,     /* POST /detokenize */
    SRV_APPLY_TEMPLATE, /* POST /apply-template */
} srv_endpoint;

typedef struct srv_message {
    char *role;    /* system | developer | user | assistant | tool */
    char *content; /* text parts concatenated */
} srv_message;

#define SRV_MAX_STOP 8

typedef struct srv_request {
    srv_endpoint ep;
    /* chat: messages; completions: prompt */
    srv_message *messages;
    size_t n_messages;
    char *prompt;
    /* generation */
    int64_t max_tokens;      /* -1: until the context is full */
    vkattn_sampler_desc sampling; /* the server's defaults (srv_limits.sampling), then the request's fields */
    int has_seed;            /* sampling.seed was given (by the request or the server's --seed); else random */
    char *stop[SRV_MAX_STOP];
    size_t n_stop;
    int stream, include_usage;
    /* tokenize / detokenize */
    char *content;
    size_t content_len;
    int add_special, with_pieces;
    int32_t *tokens;
    size_t n_tokens;
    /* embeddings */
    char **inputs;
    size_t n_inputs;
    int base64;
} srv_request;

typedef struct srv_header {
    const char *name, *value;
} srv_header;

typedef struct srv_limits {
    const char *api_key;     /* NULL: no authentication */
    size_t max_body;         /* bytes */
    uint32_t n_ctx;          /* per slot: max_tokens beyond it is a 400; repeat_last_n -1 means it */
    const vkattn_sampler_desc *sampling; /* defaults for what a request leaves out; NULL: llama-server's */
    int seed_set;            /* sampling->seed is the default seed (else each request gets a random one) */
} srv_limits;

/* An HTTP error with an OpenAI-style body: {"error": {"code", "message", "type", "param"}}. */
typedef struct srv_error {
    int status;           /* 400, 401, 404, 405, 413, 500, 503 */
    const char *type;     /* invalid_request_error, authentication_error, not_found_error, ... */
    char param[32];       /* the offending field, or "" */
    char message[256];
} srv_error;

/* Parses one request. Pure: no I/O, no global state; any bytes in, never crashes. Returns 0 and fills *req
 * (free it with srv_request_free), or the HTTP status with *err filled (*req then holds nothing to free).
 * method and path are NUL-terminated; the query string, if any, is ignored; body is body[0..len). */
int srv_parse_request(const srv_limits *lim, const char *method, const char *path, const srv_header *headers,
                      size_t n_headers, const char *body, size_t len, srv_request *req, srv_error *err);
void srv_request_free(srv_request *req);
/* Fills *err; returns status. printf-style message. */
int srv_fail(srv_error *err, int status, const char *type, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- replies (reply.c): malloc'ed NUL-terminated strings, NULL when out of memory ----------------- */

typedef struct srv_reply_ctx {
    const char *id;           /* "chatcmpl-..." / "cmpl-..." */
    long created;             /* Unix seconds */
    const char *model;
    int chat;                 /* chat.completion(.chunk) vs text_completion */
} srv_reply_ctx;

char *srv_error_json(const srv_error *err);
/* A whole completion with its usage. */
char *srv_completion_json(const srv_reply_ctx *c, const char *text, size_t len, const char *finish, uint32_t n_prompt,
                          uint32_t n_gen);
/* One SSE event "data: {chunk}\n\n": text[0..len) as the delta; first adds the assistant role (chat);
 * finish NULL while streaming. */
char *srv_chunk_sse(const srv_reply_ctx *c, const char *text, size_t len, int first, const char *finish);
/* The final usage chunk (stream_options.include_usage). */
char *srv_usage_sse(const srv_reply_ctx *c, uint32_t n_prompt, uint32_t n_gen);
/* "data: " + json + "\n\n" (takes json). */
char *srv_sse(char *json);
char *srv_models_json(const char *model, long created, const vkattn_model_info *info);
char *srv_b64_floats(const float *v, size_t n); /* little-endian f32 bytes, base64 */
typedef struct srv_metrics srv_metrics;
char *srv_metrics_text(const srv_metrics *m);  /* Prometheus text format */

/* ---- chat rendering (chat.c) ---------------------------------------------------------------------- */

typedef struct srv_chat {
    const vkattn_chat_template *tmpl; /* parsed once at start-up */
    const char *bos, *eos;            /* bos_token / eos_token texts */
} srv_chat;

/* The chat template applied to messages, with the assistant's turn opened when add_generation_prompt.
 * Returns a malloc'ed string, or NULL with *err filled (400 when the template refuses the messages). */
char *srv_render_chat(const srv_chat *c, const srv_message *msgs, size_t n, int add_generation_prompt, srv_error *err);

/* ---- engine (engine.c) ---------------------------------------------------------------------------- */

typedef struct srv_engine srv_engine;
typedef struct srv_job srv_job;

typedef struct srv_engine_desc {
    vkattn_context *ctx;
    vkattn_model *model;      /* loaded with n_seq = n_slots */
    vkattn_encoder *encoder;  /* --embedding-model, or NULL */
    uint32_t n_slots;         /* --parallel */
    uint32_t queue_size;      /* requests waiting beyond the slots; more get 503 */
} srv_engine_desc;

vkattn_status srv_engine_create(const srv_engine_desc *desc, srv_engine **out);
/* Stops the worker: running and queued jobs end as failed ("shutting down"), new ones get 503. Jobs stay
 * valid until released; call srv_http_stop, then srv_engine_destroy. */
void srv_engine_stop(srv_engine *e);
void srv_engine_destroy(srv_engine *e);

typedef struct srv_job_desc {
    int32_t *prompt;          /* taken over by the job */
    uint32_t n_prompt;
    uint32_t max_tokens;
    vkattn_sampler_desc sampling;
    char *const *stop;        /* copied */
    size_t n_stop;
} srv_job_desc;

/* Queues a generation. 0 and *out, or 503 (queue full) / 500 with *err. The caller owns one reference:
 * srv_job_release when done with it (releasing an unfinished job cancels it). */
int srv_engine_submit(srv_engine *e, const srv_job_desc *d, srv_job **out, srv_error *err);

typedef struct srv_job_state {
    size_t visible;           /* bytes of text that may be shown (stop strings withheld) */
    int done;
    const char *finish_reason;/* "stop" | "length" when done */
    uint32_t n_prompt, n_gen;
    int failed;               /* done because the engine failed: message in error */
    const char *error;
} srv_job_state;

/* Waits until the job has text beyond `seen` bytes or is done, at most timeout_ms; returns the state and
 * the text (valid until the job is released; bytes [0, visible) never change once visible). */
void srv_job_wait(srv_job *j, size_t seen, int timeout_ms, srv_job_state *st, const char **text);
void srv_job_cancel(srv_job *j);
void srv_job_release(srv_job *j);

/* Stop strings: the length of text[0..len) that may be shown. *found: a stop string occurs (the result is
 * where the first one starts); otherwise a tail that could begin a stop string is held back. */
size_t srv_stop_scan(const char *text, size_t len, char *const *stop, size_t n_stop, int *found);

/* Embeddings of n texts with the encoder, pooled and normalised as its directory prescribes (sentence-transformers
 * modules; vkattn_encoder_default_pooling, as `vkattn embed`): rows of dim floats malloc'ed into *vecs;
 * *n_tokens = tokens over all inputs. 0, or an HTTP status with *err. */
int srv_engine_embed(srv_engine *e, char *const *texts, size_t n, float **vecs, uint32_t *dim, uint64_t *n_tokens,
                     srv_error *err);

struct srv_metrics {
    uint64_t requests, prompt_tokens, generated_tokens;
    double generate_seconds;   /* wall time with at least one slot decoding */
    uint32_t queue_depth, slots_busy, n_slots;
};
void srv_engine_metrics(srv_engine *e, srv_metrics *m);
/* Counts a served HTTP request (any endpoint). */
void srv_engine_count_request(srv_engine *e);

/* ---- HTTP (http.c) -------------------------------------------------------------------------------- */

typedef struct srv_config {
    const char *host;         /* "127.0.0.1" unless told otherwise */
    uint16_t port;
    const char *api_key;
    const char *model_id;     /* what /v1/models lists */
    srv_chat chat;
    vkattn_sampler_desc sampling; /* request defaults (the sampling flags) */
    int seed_set;             /* --seed S given: requests without a seed use it */
    size_t max_body;
    uint32_t max_connections;
} srv_config;

typedef struct srv_http srv_http;
/* Starts listening (threads of its own). 0 or -1 with a message on stderr. */
int srv_http_start(const srv_config *cfg, srv_engine *e, vkattn_model *m, srv_http **out);
void srv_http_stop(srv_http *h);

#endif
