/* libmicrohttpd glue of vkattn serve: one thread per connection (a thread blocks while its request waits for
 * the engine), bodies collected up to the limit (413 beyond), request parsing in request.c, replies in reply.c.
 * Streaming replies are chunked SSE written by a content-reader callback. A client that goes away is noticed
 * while its request waits (a zero-byte peek on its socket every 100 ms) or when a write fails; its job is
 * cancelled and its slot freed at the engine's next step. */
#include "server.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct srv_http {
    struct MHD_Daemon *d;
    srv_config cfg;
    srv_engine *e;
    vkattn_model *model;
    const vkattn_tokenizer *tok;
    vkattn_model_info info;
    long started;
    pthread_mutex_t id_mu;
    uint64_t id_state;
};

typedef struct conn {
    char *body;
    size_t len, cap;
    int too_large;
} conn;

/* ---- small helpers ------------------------------------------------------------------------------------- */

static enum MHD_Result send_text(struct MHD_Connection *c, int status, char *text, const char *type) {
    if (!text) {
        static const char oom[] = "{\"error\":{\"code\":500,\"message\":\"out of memory\",\"type\":\"server_error\"}}";
        struct MHD_Response *r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Content-Type", "application/json");
        enum MHD_Result ok = MHD_queue_response(c, 500, r);
        MHD_destroy_response(r);
        return ok;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, char *json) {
    return send_text(c, status, json, "application/json");
}

static enum MHD_Result send_error(struct MHD_Connection *c, const srv_error *err) {
    return send_json(c, err->status, srv_error_json(err));
}

static char *dupz(const char *t) {
    char *d = malloc(strlen(t) + 1);
    return d ? strcpy(d, t) : NULL;
}

static char *print_delete(cJSON *o) {
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

/* The peer closed its end (recv would return 0)? Pipelined bytes or nothing yet both mean it is still there. */
static int peer_gone(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return 1;
    char b;
    ssize_t r = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void new_id(srv_http *h, const char *prefix, char *out, size_t cap) {
    pthread_mutex_lock(&h->id_mu);
    uint64_t z = (h->id_state += 0x9E3779B97F4A7C15ull); /* splitmix64 */
    pthread_mutex_unlock(&h->id_mu);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    snprintf(out, cap, "%s%016llx", prefix, (unsigned long long)z);
}

/* Text as valid UTF-8 (ill-formed bytes -> U+FFFD), so the JSON that carries it is valid. */
static char *utf8_clean(const char *s, size_t n) {
    char *o = malloc(n * 3 + 1), *p = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        int ok = k && i + k <= n && (k != 2 || c >= 0xC2) && c != 0;
        for (size_t j = 1; ok && j < k; j++) ok = ((unsigned char)s[i + j] >> 6) == 2;
        if (ok && k == 3) {
            unsigned c1 = (unsigned char)s[i + 1];
            ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
        }
        if (ok && k == 4) {
            unsigned c1 = (unsigned char)s[i + 1];
            ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
        }
        if (ok) {
            memcpy(p, s + i, k);
            p += k;
            i += k;
        } else {
            memcpy(p, "\xEF\xBF\xBD", 3);
            p += 3;
            i++;
        }
    }
    *p = 0;
    return o;
}

/* ---- simple endpoints ------------------------------------------------------------------------------------ */

static enum MHD_Result do_tokenize(srv_http *h, struct MHD_Connection *c, const srv_request *r) {
    srv_error err;
    size_t n = 0;
    vkattn_tokenize(h->tok, r->content, r->content_len, r->add_special, 1, NULL, 0, &n);
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) return send_json(c, 500, NULL);
    if (vkattn_tokenize(h->tok, r->content, r->content_len, r->add_special, 1, ids, n, &n)) {
        free(ids);
        srv_fail(&err, 400, "invalid_request_error", "content", "tokenize: %s", vkattn_context_error(NULL));
        return send_error(c, &err);
    }
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "tokens");
    for (size_t i = 0; i < n; i++) {
        if (!r->with_pieces) {
            cJSON_AddItemToArray(a, cJSON_CreateNumber(ids[i]));
            continue;
        }
        char piece[256];
        size_t pn = 0;
        if (vkattn_token_to_piece(h->tok, ids[i], 1, piece, sizeof piece - 1, &pn)) pn = 0;
        piece[pn] = 0;
        cJSON *t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "id", ids[i]);
        char *clean = utf8_clean(piece, pn);
        if (clean && strlen(clean) == pn && memcmp(clean, piece, pn) == 0) { /* llama-server: bytes when not UTF-8 */
            cJSON_AddStringToObject(t, "piece", clean);
        } else {
            cJSON *b = cJSON_AddArrayToObject(t, "piece");
            for (size_t k = 0; k < pn; k++) cJSON_AddItemToArray(b, cJSON_CreateNumber((unsigned char)piece[k]));
        }
        free(clean);
        cJSON_AddItemToArray(a, t);
    }
    free(ids);
    return send_json(c, 200, print_delete(o));
}

static enum MHD_Result do_detokenize(srv_http *h, struct MHD_Connection *c, const srv_request *r) {
    srv_error err;
    for (size_t i = 0; i < r->n_tokens; i++)
        if ((uint32_t)r->tokens[i] >= h->info.n_vocab) {
            srv_fail(&err, 400, "invalid_request_error", "tokens", "tokens[%zu] = %d is outside the vocabulary [0, %u)", i,
                     r->tokens[i], h->info.n_vocab);
            return send_error(c, &err);
        }
    size_t n = 0;
    vkattn_detokenize(h->tok, r->tokens, r->n_tokens, VKATTN_DETOK_SPECIAL, NULL, 0, &n);
    char *text = malloc(n + 1);
    if (!text) return send_json(c, 500, NULL);
    if (vkattn_detokenize(h->tok, r->tokens, r->n_tokens, VKATTN_DETOK_SPECIAL, text, n, &n)) n = 0;
    char *clean = utf8_clean(text, n);
    free(text);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "content", clean ? clean : "");
    free(clean);
    return send_json(c, 200, print_delete(o));
}

static enum MHD_Result do_apply_template(srv_http *h, struct MHD_Connection *c, const srv_request *r) {
    srv_error err;
    char *p = srv_render_chat(&h->cfg.chat, r->messages, r->n_messages, 1, &err);
    if (!p) return send_error(c, &err);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "prompt", p);
    free(p);
    return send_json(c, 200, print_delete(o));
}

static enum MHD_Result do_embeddings(srv_http *h, struct MHD_Connection *c, const srv_request *r) {
    srv_error err;
    float *v = NULL;
    uint32_t dim = 0;
    uint64_t ntok = 0;
    if (srv_engine_embed(h->e, r->inputs, r->n_inputs, &v, &dim, &ntok, &err)) return send_error(c, &err);
    cJSON *o = cJSON_CreateObject(), *d = cJSON_AddArrayToObject(o, "data");
    cJSON_AddStringToObject(o, "object", "list");
    for (size_t i = 0; i < r->n_inputs; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "object", "embedding");
        cJSON_AddNumberToObject(e, "index", (double)i);
        if (r->base64) {
            char *b = srv_b64_floats(v + i * dim, dim);
            cJSON_AddStringToObject(e, "embedding", b ? b : "");
            free(b);
        } else {
            cJSON_AddItemToObject(e, "embedding", cJSON_CreateFloatArray(v + i * dim, (int)dim));
        }
        cJSON_AddItemToArray(d, e);
    }
    free(v);
    cJSON_AddStringToObject(o, "model", h->cfg.model_id);
    cJSON *u = cJSON_AddObjectToObject(o, "usage");
    cJSON_AddNumberToObject(u, "prompt_tokens", (double)ntok);
    cJSON_AddNumberToObject(u, "total_tokens", (double)ntok);
    return send_json(c, 200, print_delete(o));
}

/* ---- completions ----------------------------------------------------------------------------------------- */

typedef struct stream {
    srv_http *h;
    struct MHD_Connection *c;
    srv_job *job;
    srv_reply_ctx rc;
    char id[48];
    int include_usage, sent_first, finished;
    size_t seen;         /* text bytes already sent */
    char *pending;       /* SSE bytes not yet handed to libmicrohttpd */
    size_t plen, poff;
} stream;

static void stream_push(stream *s, char *ev) {
    if (!ev) return;
    size_t n = strlen(ev);
    char *p = realloc(s->pending, s->plen + n);
    if (p) {
        memcpy(p + s->plen, ev, n);
        s->pending = p;
        s->plen += n;
    }
    free(ev);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    stream *s = cls;
    while (s->poff == s->plen) {
        free(s->pending);
        s->pending = NULL;
        s->plen = s->poff = 0;
        if (s->finished) return MHD_CONTENT_READER_END_OF_STREAM;
        srv_job_state st;
        const char *text;
        srv_job_wait(s->job, s->seen, 100, &st, &text);
        if (st.visible > s->seen || !s->sent_first) {
            stream_push(s, srv_chunk_sse(&s->rc, text + s->seen, st.visible - s->seen, !s->sent_first, NULL));
            s->sent_first = 1;
            s->seen = st.visible;
        }
        if (st.done) {
            if (st.failed) {
                srv_error err;
                srv_fail(&err, 500, "server_error", NULL, "%s", st.error);
                stream_push(s, srv_sse(srv_error_json(&err)));
            } else {
                stream_push(s, srv_chunk_sse(&s->rc, "", 0, 0, st.finish_reason));
                if (s->include_usage) stream_push(s, srv_usage_sse(&s->rc, st.n_prompt, st.n_gen));
            }
            stream_push(s, srv_sse(dupz("[DONE]")));
            s->finished = 1;
        } else if (s->plen == 0 && peer_gone(s->c)) {
            return MHD_CONTENT_READER_END_WITH_ERROR; /* stream_free cancels the job */
        }
    }
    size_t n = s->plen - s->poff < max ? s->plen - s->poff : max;
    memcpy(buf, s->pending + s->poff, n);
    s->poff += n;
    return (ssize_t)n;
}

static void stream_free(void *cls) {
    stream *s = cls;
    srv_job_release(s->job); /* cancels it if unfinished: the client went away */
    free(s->pending);
    free(s);
}

/* Prompt tokens of a completion request; 0 or an HTTP status with *err. */
static int prompt_tokens(srv_http *h, const srv_request *r, int32_t **ids, uint32_t *n_ids, srv_error *err) {
    char *text = r->ep == SRV_CHAT ? srv_render_chat(&h->cfg.chat, r->messages, r->n_messages, 1, err) : r->prompt;
    if (!text) return err->status;
    size_t len = strlen(text), n = 0;
    vkattn_tokenize(h->tok, text, len, 1, 1, NULL, 0, &n);
    int32_t *t = malloc((n ? n : 1) * sizeof *t);
    int rc = 0;
    if (!t) rc = srv_fail(err, 500, "server_error", NULL, "out of memory");
    else if (vkattn_tokenize(h->tok, text, len, 1, 1, t, n, &n))
        rc = srv_fail(err, 400, "invalid_request_error", r->ep == SRV_CHAT ? "messages" : "prompt", "tokenize: %s",
                      vkattn_context_error(NULL));
    if (text != r->prompt) free(text);
    vkattn_tokenizer_info ti;
    vkattn_tokenizer_get_info(h->tok, &ti);
    if (!rc && n >= 2 && t[0] == ti.bos_id && t[1] == ti.bos_id) memmove(t, t + 1, --n * sizeof *t); /* template's BOS + ours */
    const char *param = r->ep == SRV_CHAT ? "messages" : "prompt";
    if (!rc && n == 0) rc = srv_fail(err, 400, "invalid_request_error", param, "the prompt is empty (no tokens)");
    if (!rc && n >= h->info.n_ctx)
        rc = srv_fail(err, 400, "invalid_request_error", param,
                      "the prompt is %zu tokens; this server's context is %u tokens per request (-c): shorten it", n,
                      h->info.n_ctx);
    if (!rc && r->max_tokens > 0 && n + (uint64_t)r->max_tokens > h->info.n_ctx)
        rc = srv_fail(err, 400, "invalid_request_error", "max_tokens",
                      "the context is %u tokens, but %zu prompt tokens + max_tokens %lld exceed it: lower max_tokens",
                      h->info.n_ctx, n, (long long)r->max_tokens);
    if (rc) {
        free(t);
        return rc;
    }
    *ids = t;
    *n_ids = (uint32_t)n;
    return 0;
}

static enum MHD_Result do_completion(srv_http *h, struct MHD_Connection *c, const srv_request *r) {
    srv_error err;
    srv_job_desc d = {0};
    if (prompt_tokens(h, r, &d.prompt, &d.n_prompt, &err)) return send_error(c, &err);
    d.max_tokens = r->max_tokens > 0 ? (uint32_t)r->max_tokens : h->info.n_ctx - d.n_prompt;
    d.sampling = r->sampling;
    if (!r->has_seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        d.sampling.seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)c;
    }
    d.stop = r->stop;
    d.n_stop = r->n_stop;
    srv_job *job;
    if (srv_engine_submit(h->e, &d, &job, &err)) {
        free(d.prompt);
        return send_error(c, &err);
    }
    stream *s = calloc(1, sizeof *s);
    if (!s) {
        srv_job_release(job);
        return send_json(c, 500, NULL);
    }
    s->h = h;
    s->c = c;
    s->job = job;
    new_id(h, r->ep == SRV_CHAT ? "chatcmpl-" : "cmpl-", s->id, sizeof s->id);
    s->rc = (srv_reply_ctx){.id = s->id, .created = (long)time(NULL), .model = h->cfg.model_id, .chat = r->ep == SRV_CHAT};
    s->include_usage = r->include_usage;
    if (r->stream) {
        struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
        if (!resp) {
            stream_free(s);
            return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", "text/event-stream");
        MHD_add_response_header(resp, "Cache-Control", "no-cache");
        enum MHD_Result ok = MHD_queue_response(c, 200, resp);
        MHD_destroy_response(resp);
        return ok;
    }
    /* whole reply: wait, watching for the client leaving */
    srv_job_state st;
    const char *text;
    for (;;) {
        srv_job_wait(job, (size_t)-1, 100, &st, &text);
        if (st.done) break;
        if (peer_gone(c)) {
            stream_free(s);
            return MHD_NO;
        }
    }
    char *body;
    int status = 200;
    if (st.failed) {
        srv_fail(&err, 500, "server_error", NULL, "%s", st.error);
        body = srv_error_json(&err);
        status = 500;
    } else {
        body = srv_completion_json(&s->rc, text, st.visible, st.finish_reason, st.n_prompt, st.n_gen);
    }
    stream_free(s);
    return send_json(c, status, body);
}

/* ---- the access handler ---------------------------------------------------------------------------------- */

typedef struct header_list {
    srv_header h[64];
    size_t n;
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    header_list *l = cls;
    if (l->n < 64) l->h[l->n++] = (srv_header){key, value ? value : ""};
    return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                              const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    srv_http *h = cls;
    conn *cn = *con_cls;
    if (!cn) { /* headers only so far */
        if (!(cn = calloc(1, sizeof *cn))) return MHD_NO;
        *con_cls = cn;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->cfg.max_body) cn->too_large = 1; /* answered once the body is skipped */
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cn->too_large && cn->len + *upload_size > h->cfg.max_body) {
            cn->too_large = 1;
            free(cn->body);
            cn->body = NULL;
            cn->len = cn->cap = 0;
        }
        if (!cn->too_large) {
            if (cn->len + *upload_size > cn->cap) {
                size_t cap = (cn->len + *upload_size) * 2;
                char *b = realloc(cn->body, cap);
                if (!b) return MHD_NO;
                cn->body = b;
                cn->cap = cap;
            }
            memcpy(cn->body + cn->len, upload, *upload_size);
            cn->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    srv_engine_count_request(h->e);
    header_list hl = {.n = 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &hl);
    const srv_limits lim = {.api_key = h->cfg.api_key, .max_body = h->cfg.max_body, .n_ctx = h->info.n_ctx,
                            .sampling = &h->cfg.sampling, .seed_set = h->cfg.seed_set};
    srv_request r;
    srv_error err;
    /* an over-limit body is not kept: parse as if it had max_body + 1 bytes (the parser answers 413) */
    int st = srv_parse_request(&lim, method, url, hl.h, hl.n, cn->too_large ? "" : cn->body,
                               cn->too_large ? h->cfg.max_body + 1 : cn->len, &r, &err);
    if (st) return send_error(c, &err);
    enum MHD_Result res;
    switch (r.ep) {
    case SRV_HEALTH:
        res = send_json(c, 200, dupz("{\"status\":\"ok\"}"));
        break;
    case SRV_MODELS:
        res = send_json(c, 200, srv_models_json(h->cfg.model_id, h->started, &h->info));
        break;
    case SRV_METRICS: {
        srv_metrics m;
        srv_engine_metrics(h->e, &m);
        res = send_text(c, 200, srv_metrics_text(&m), "text/plain; version=0.0.4");
        break;
    }
    case SRV_TOKENIZE: res = do_tokenize(h, c, &r); break;
    case SRV_DETOKENIZE: res = do_detokenize(h, c, &r); break;
    case SRV_APPLY_TEMPLATE: res = do_apply_template(h, c, &r); break;
    case SRV_EMBEDDINGS: res = do_embeddings(h, c, &r); break;
    default: res = do_completion(h, c, &r); break;
    }
    srv_request_free(&r);
    return res;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    conn *cn = *con_cls;
    if (cn) {
        free(cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

int srv_http_start(const srv_config *cfg, srv_engine *e, vkattn_model *m, srv_http **out) {
    *out = NULL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", cfg->port);
    int gai = getaddrinfo(cfg->host, port, &hints, &ai);
    if (gai) {
        fprintf(stderr, "vkattn serve: --host %s: %s\n", cfg->host, gai_strerror(gai));
        return -1;
    }
    srv_http *h = calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(ai);
        return -1;
    }
    h->cfg = *cfg;
    h->e = e;
    h->model = m;
    h->tok = vkattn_model_tokenizer(m);
    vkattn_model_get_info(m, &h->info);
    h->started = (long)time(NULL);
    pthread_mutex_init(&h->id_mu, NULL);
    h->id_state = (uint64_t)time(NULL) * 0x2545F4914F6CDD1Dull ^ (uint64_t)(uintptr_t)h;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD; /* errors: ours */
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, cfg->port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->d) {
        fprintf(stderr, "vkattn serve: cannot listen on %s:%u (in use? try --port)\n", cfg->host, cfg->port);
        pthread_mutex_destroy(&h->id_mu);
        free(h);
        return -1;
    }
    *out = h;
    return 0;
}

void srv_http_stop(srv_http *h) {
    if (!h) return;
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->id_mu);
    free(h);
}
