/* Request parsing for vkattn serve: route, authentication, body size, JSON fields and their types.
 * A pure function of (method, path, headers, body) so it can be tested and fuzzed without a socket or a
 * model; what needs the model (tokenizing, the context left after the prompt) is checked by the caller. */
#include "server.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int srv_fail(srv_error *err, int status, const char *type, const char *param, const char *fmt, ...) {
    err->status = status;
    err->type = type;
    snprintf(err->param, sizeof err->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

#define BAD(param, ...) srv_fail(err, 400, "invalid_request_error", param, __VA_ARGS__)

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

void srv_request_free(srv_request *r) {
    for (size_t i = 0; i < r->n_messages; i++) {
        free(r->messages[i].role);
        free(r->messages[i].content);
    }
    free(r->messages);
    free(r->prompt);
    for (size_t i = 0; i < r->n_stop; i++) free(r->stop[i]);
    free(r->content);
    free(r->tokens);
    for (size_t i = 0; i < r->n_inputs; i++) free(r->inputs[i]);
    free(r->inputs);
    memset(r, 0, sizeof *r);
}

/* ---- routing ------------------------------------------------------------------------------------- */

static const struct {
    const char *path;
    const char *method;
    srv_endpoint ep;
} routes[] = {
    {"/health", "GET", SRV_HEALTH},
    {"/v1/health", "GET", SRV_HEALTH},
    {"/v1/models", "GET", SRV_MODELS},
    {"/models", "GET", SRV_MODELS},
    {"/metrics", "GET", SRV_METRICS},
    {"/v1/chat/completions", "POST", SRV_CHAT},
    {"/chat/completions", "POST", SRV_CHAT},
    {"/v1/completions", "POST", SRV_COMPLETIONS},
    {"/completions", "POST", SRV_COMPLETIONS},
    {"/v1/embeddings", "POST", SRV_EMBEDDINGS},
    {"/embeddings", "POST", SRV_EMBEDDINGS},
    {"/tokenize", "POST", SRV_TOKENIZE},
    {"/detokenize", "POST", SRV_DETOKENIZE},
    {"/apply-template", "POST", SRV_APPLY_TEMPLATE},
};

static int route(const char *method, const char *path, srv_endpoint *ep, srv_error *err) {
    size_t plen = strcspn(path, "?");
    int known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strlen(routes[i].path) != plen || strncmp(routes[i].path, path, plen) != 0) continue;
        known = 1;
        if (strcmp(routes[i].method, method) == 0) {
            *ep = routes[i].ep;
            return 0;
        }
    }
    if (known) return srv_fail(err, 405, "invalid_request_error", NULL, "method %.16s is not allowed on %.64s", method, path);
    return srv_fail(err, 404, "not_found_error", NULL, "no endpoint %.100s (see GET /v1/models, POST /v1/chat/completions)",
                    path);
}

/* Constant time in the key's length: a wrong key takes as long however many bytes match. */
static int key_matches(const char *given, size_t n, const char *key) {
    size_t k = strlen(key);
    unsigned diff = n != k;
    for (size_t i = 0; i < k; i++) diff |= (unsigned char)key[i] ^ (unsigned char)(i < n ? given[i] : 0);
    return diff == 0;
}

static int authorised(const srv_limits *lim, const srv_header *h, size_t nh) {
    for (size_t i = 0; i < nh; i++) {
        if (!h[i].name || !h[i].value || strcasecmp(h[i].name, "Authorization") != 0) continue;
        const char *v = h[i].value;
        if (strncasecmp(v, "Bearer ", 7) != 0) return 0;
        v += 7;
        while (*v == ' ') v++;
        size_t n = strlen(v);
        while (n && v[n - 1] == ' ') n--;
        return key_matches(v, n, lim->api_key);
    }
    return 0;
}

/* ---- typed fields ---------------------------------------------------------------------------------- */

/* A field that is absent or null is "not given" (returns 0 and leaves *out). */
static int get_number(const cJSON *o, const char *name, double lo, double hi, double *out, srv_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return BAD(name, "'%s' must be a number", name);
    if (v->valuedouble < lo || v->valuedouble > hi) return BAD(name, "'%s' must be in [%g, %g]", name, lo, hi);
    *out = v->valuedouble;
    return 0;
}

static int get_int(const cJSON *o, const char *name, double lo, double hi, int64_t *out, srv_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || floor(v->valuedouble) != v->valuedouble)
        return BAD(name, "'%s' must be an integer", name);
    if (v->valuedouble < lo || v->valuedouble > hi) return BAD(name, "'%s' must be in [%.0f, %.0f]", name, lo, hi);
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int get_bool(const cJSON *o, const char *name, int *out, srv_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsBool(v)) return BAD(name, "'%s' must be true or false", name);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* A required or optional string field, copied (*out stays NULL when absent and optional). */
static int get_string(const cJSON *o, const char *name, int required, char **out, srv_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v || cJSON_IsNull(v)) return required ? BAD(name, "'%s' is required", name) : 0;
    if (!cJSON_IsString(v)) return BAD(name, "'%s' must be a string", name);
    if (!(*out = dup_n(v->valuestring, strlen(v->valuestring))))
        return srv_fail(err, 500, "server_error", NULL, "out of memory");
    return 0;
}

/* OpenAI message content: a string, null, or an array of {"type": "text", "text": ...} parts. */
static int message_content(const cJSON *c, size_t i, char **out, srv_error *err) {
    if (!c || cJSON_IsNull(c)) {
        *out = dup_n("", 0);
    } else if (cJSON_IsString(c)) {
        *out = dup_n(c->valuestring, strlen(c->valuestring));
    } else if (cJSON_IsArray(c)) {
        size_t total = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, c) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(p, "text");
            if (!cJSON_IsObject(p) || !cJSON_IsString(type) || strcmp(type->valuestring, "text") != 0 || !cJSON_IsString(text))
                return BAD("messages", "messages[%zu].content: only {\"type\": \"text\", \"text\": \"...\"} parts are supported", i);
            total += strlen(text->valuestring);
        }
        if ((*out = malloc(total + 1))) {
            size_t at = 0;
            cJSON_ArrayForEach(p, c) {
                const char *t = cJSON_GetObjectItemCaseSensitive(p, "text")->valuestring;
                memcpy(*out + at, t, strlen(t));
                at += strlen(t);
            }
            (*out)[at] = 0;
        }
    } else {
        return BAD("messages", "messages[%zu].content must be a string or an array of text parts", i);
    }
    return *out ? 0 : srv_fail(err, 500, "server_error", NULL, "out of memory");
}

static int get_messages(const cJSON *o, srv_request *r, srv_error *err) {
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "messages");
    if (!ms || cJSON_IsNull(ms)) return BAD("messages", "'messages' is required: [{\"role\": \"user\", \"content\": \"...\"}]");
    if (!cJSON_IsArray(ms)) return BAD("messages", "'messages' must be an array of {\"role\", \"content\"} objects");
    size_t n = (size_t)cJSON_GetArraySize(ms);
    if (n == 0) return BAD("messages", "'messages' is empty");
    if (!(r->messages = calloc(n, sizeof *r->messages))) return srv_fail(err, 500, "server_error", NULL, "out of memory");
    static const char *roles[] = {"system", "developer", "user", "assistant", "tool"};
    const cJSON *m;
    cJSON_ArrayForEach(m, ms) {
        size_t i = r->n_messages;
        if (!cJSON_IsObject(m)) return BAD("messages", "messages[%zu] must be an object", i);
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        if (!cJSON_IsString(role)) return BAD("messages", "messages[%zu].role must be a string", i);
        int known = 0;
        for (size_t k = 0; k < sizeof roles / sizeof roles[0]; k++) known |= strcmp(role->valuestring, roles[k]) == 0;
        if (!known)
            return BAD("messages", "messages[%zu].role \"%.32s\" is unknown (system, developer, user, assistant, tool)", i,
                       role->valuestring);
        r->n_messages++;
        if (!(r->messages[i].role = dup_n(role->valuestring, strlen(role->valuestring))))
            return srv_fail(err, 500, "server_error", NULL, "out of memory");
        int st = message_content(cJSON_GetObjectItemCaseSensitive(m, "content"), i, &r->messages[i].content, err);
        if (st) return st;
    }
    return 0;
}

/* "stop": a string or an array of up to SRV_MAX_STOP strings; empty strings are ignored. */
static int get_stop(const cJSON *o, srv_request *r, srv_error *err) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "stop");
    if (!s || cJSON_IsNull(s)) return 0;
    if (cJSON_IsString(s)) {
        if (!*s->valuestring) return 0;
        if (!(r->stop[0] = dup_n(s->valuestring, strlen(s->valuestring)))) return srv_fail(err, 500, "server_error", NULL, "out of memory");
        r->n_stop = 1;
        return 0;
    }
    if (!cJSON_IsArray(s)) return BAD("stop", "'stop' must be a string or an array of strings");
    if (cJSON_GetArraySize(s) > SRV_MAX_STOP) return BAD("stop", "'stop' has more than %d strings", SRV_MAX_STOP);
    const cJSON *e;
    cJSON_ArrayForEach(e, s) {
        if (!cJSON_IsString(e)) return BAD("stop", "'stop' must be a string or an array of strings");
        if (!*e->valuestring) continue;
        if (!(r->stop[r->n_stop] = dup_n(e->valuestring, strlen(e->valuestring))))
            return srv_fail(err, 500, "server_error", NULL, "out of memory");
        r->n_stop++;
    }
    return 0;
}

/* A float field into *out (left alone when absent). */
static int get_float(const cJSON *o, const char *name, double lo, double hi, float *out, srv_error *err) {
    double d = *out;
    int st = get_number(o, name, lo, hi, &d, err);
    if (!st) *out = (float)d;
    return st;
}

/* Fields of llama-server or the OpenAI API that change the output but that this server does not implement: set to
 * anything but their neutral value, they are a 400, never a silently different reply. */
static int unsupported(const cJSON *o, srv_error *err) {
    static const struct { const char *name; double neutral; } numbers[] = {
        {"typical_p", 1}, {"tfs_z", 1}, {"mirostat", 0}, {"dynatemp_range", 0}, {"dry_multiplier", 0},
        {"xtc_probability", 0}, {"top_n_sigma", -1}, {"n_probs", 0}, {"top_logprobs", 0}};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, numbers[i].name);
        if (v && !cJSON_IsNull(v) && !(cJSON_IsNumber(v) && v->valuedouble == numbers[i].neutral))
            return BAD(numbers[i].name, "'%s' is not supported by this server (omit it, or send %g)", numbers[i].name,
                       numbers[i].neutral);
    }
    static const char *const empty_ok[] = {"logit_bias", "grammar", "json_schema", "tools"};
    for (size_t i = 0; i < sizeof empty_ok / sizeof empty_ok[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, empty_ok[i]);
        if (v && !cJSON_IsNull(v) && !((cJSON_IsObject(v) || cJSON_IsArray(v)) && !v->child) &&
            !(cJSON_IsString(v) && !*v->valuestring))
            return BAD(empty_ok[i], "'%s' is not supported by this server (omit it)", empty_ok[i]);
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "logprobs");
    if (v && !cJSON_IsNull(v) && !cJSON_IsFalse(v) && !(cJSON_IsNumber(v) && v->valuedouble == 0))
        return BAD("logprobs", "'logprobs' is not supported by this server (omit it, or send false)");
    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(o, "response_format");
    const cJSON *type = cJSON_IsObject(rf) ? cJSON_GetObjectItemCaseSensitive(rf, "type") : NULL;
    if (rf && !cJSON_IsNull(rf) && !(cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0))
        return BAD("response_format", "'response_format' other than {\"type\": \"text\"} is not supported by this server");
    return 0;
}

static int get_sampling(const cJSON *o, const srv_limits *lim, srv_request *r, srv_error *err) {
    int64_t i = -1;
    int st;
    if (lim->sampling) r->sampling = *lim->sampling;
    else vkattn_sampler_desc_default(&r->sampling); /* llama-server's defaults */
    r->has_seed = lim->sampling && lim->seed_set;
    vkattn_sampler_desc *d = &r->sampling;
    r->max_tokens = -1;
    const char *names[] = {"max_tokens", "max_completion_tokens", "n_predict"};
    for (size_t k = 0; k < 3; k++) {
        i = -2;
        if ((st = get_int(o, names[k], k == 2 ? -1 : 1, 1e15, &i, err))) return st;
        if (i == -2) continue;
        if (i > (int64_t)lim->n_ctx)
            return BAD(names[k], "'%s' = %lld is beyond the context of %u tokens", names[k], (long long)i, lim->n_ctx);
        r->max_tokens = i;
    }
    if ((st = get_float(o, "temperature", 0, 100, &d->temperature, err)) || (st = get_float(o, "top_p", 0, 1, &d->top_p, err)) ||
        (st = get_float(o, "min_p", 0, 1, &d->min_p, err)))
        return st;
    i = d->top_k;
    if ((st = get_int(o, "top_k", 0, 1e9, &i, err))) return st;
    d->top_k = (uint32_t)i;
    /* penalties, as llama-server: over the last repeat_last_n tokens, prompt included (-1: the whole context) */
    if ((st = get_float(o, "repeat_penalty", 0, 1e6, &d->repeat_penalty, err)) ||
        (st = get_float(o, "frequency_penalty", -2, 2, &d->frequency_penalty, err)) ||
        (st = get_float(o, "presence_penalty", -2, 2, &d->presence_penalty, err)))
        return st;
    const char *last_n[] = {"repeat_last_n", "penalty_last_n"};
    for (size_t k = 0; k < 2; k++) {
        i = -2;
        if ((st = get_int(o, last_n[k], -1, 1 << 24, &i, err))) return st;
        if (i != -2) d->penalty_last_n = i < 0 ? lim->n_ctx : (uint32_t)i;
    }
    i = -1;
    if ((st = get_int(o, "seed", -9.2e18, 9.2e18, &i, err))) return st;
    if (i >= 0) {
        d->seed = (uint64_t)i;
        r->has_seed = 1;
    } else if (cJSON_GetObjectItemCaseSensitive(o, "seed") && !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "seed"))) {
        r->has_seed = 0; /* seed -1: random, as llama-server */
    }
    i = 1;
    if ((st = get_int(o, "n", 1, 1, &i, err))) return st;
    if ((st = unsupported(o, err))) return st;
    if ((st = get_stop(o, r, err)) || (st = get_bool(o, "stream", &r->stream, err))) return st;
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(o, "stream_options");
    if (so && !cJSON_IsNull(so)) {
        if (!cJSON_IsObject(so)) return BAD("stream_options", "'stream_options' must be an object");
        if ((st = get_bool(so, "include_usage", &r->include_usage, err))) return st;
    }
    return 0;
}

static int get_prompt(const cJSON *o, srv_request *r, srv_error *err) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    if (cJSON_IsArray(p)) { /* OpenAI allows a list of prompts: one is supported */
        if (cJSON_GetArraySize(p) != 1 || !cJSON_IsString(cJSON_GetArrayItem(p, 0)))
            return BAD("prompt", "'prompt' must be a string (or an array of exactly one string)");
        p = cJSON_GetArrayItem(p, 0);
    }
    if (!p || cJSON_IsNull(p)) return BAD("prompt", "'prompt' is required");
    if (!cJSON_IsString(p)) return BAD("prompt", "'prompt' must be a string");
    if (!(r->prompt = dup_n(p->valuestring, strlen(p->valuestring)))) return srv_fail(err, 500, "server_error", NULL, "out of memory");
    return 0;
}

static int get_tokens(const cJSON *o, srv_request *r, srv_error *err) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tokens");
    if (!cJSON_IsArray(t)) return BAD("tokens", "'tokens' must be an array of token ids");
    size_t n = (size_t)cJSON_GetArraySize(t);
    if (!(r->tokens = malloc((n ? n : 1) * sizeof *r->tokens))) return srv_fail(err, 500, "server_error", NULL, "out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, t) {
        if (!cJSON_IsNumber(e) || floor(e->valuedouble) != e->valuedouble || e->valuedouble < 0 || e->valuedouble > INT32_MAX)
            return BAD("tokens", "tokens[%zu] must be a non-negative integer token id", r->n_tokens);
        r->tokens[r->n_tokens++] = (int32_t)e->valuedouble;
    }
    return 0;
}

#define SRV_MAX_INPUTS 256

static int get_inputs(const cJSON *o, srv_request *r, srv_error *err) {
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(o, "input");
    if (!in || cJSON_IsNull(in)) return BAD("input", "'input' is required: a string or an array of strings");
    size_t n = cJSON_IsString(in) ? 1 : cJSON_IsArray(in) ? (size_t)cJSON_GetArraySize(in) : 0;
    if (!cJSON_IsString(in) && !cJSON_IsArray(in)) return BAD("input", "'input' must be a string or an array of strings");
    if (n == 0) return BAD("input", "'input' is empty");
    if (n > SRV_MAX_INPUTS) return BAD("input", "'input' has %zu strings; at most %d per request", n, SRV_MAX_INPUTS);
    if (!(r->inputs = calloc(n, sizeof *r->inputs))) return srv_fail(err, 500, "server_error", NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const cJSON *s = cJSON_IsString(in) ? in : cJSON_GetArrayItem(in, (int)i);
        if (!cJSON_IsString(s)) return BAD("input", "input[%zu] must be a string (token arrays are not supported)", i);
        if (!(r->inputs[i] = dup_n(s->valuestring, strlen(s->valuestring))))
            return srv_fail(err, 500, "server_error", NULL, "out of memory");
        r->n_inputs++;
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "encoding_format");
    if (f && !cJSON_IsNull(f)) {
        if (!cJSON_IsString(f) || (strcmp(f->valuestring, "float") != 0 && strcmp(f->valuestring, "base64") != 0))
            return BAD("encoding_format", "'encoding_format' must be \"float\" or \"base64\"");
        r->base64 = strcmp(f->valuestring, "base64") == 0;
    }
    return 0;
}

static int parse_body(const cJSON *o, const srv_limits *lim, srv_request *r, srv_error *err) {
    int st;
    switch (r->ep) {
    case SRV_CHAT:
        if ((st = get_messages(o, r, err))) return st;
        return get_sampling(o, lim, r, err);
    case SRV_COMPLETIONS:
        if ((st = get_prompt(o, r, err))) return st;
        return get_sampling(o, lim, r, err);
    case SRV_APPLY_TEMPLATE:
        return get_messages(o, r, err);
    case SRV_TOKENIZE: {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "content");
        if (!cJSON_IsString(c)) return BAD("content", "'content' must be a string");
        if ((st = get_string(o, "content", 1, &r->content, err))) return st;
        r->content_len = strlen(r->content);
        if ((st = get_bool(o, "add_special", &r->add_special, err))) return st;
        return get_bool(o, "with_pieces", &r->with_pieces, err);
    }
    case SRV_DETOKENIZE:
        return get_tokens(o, r, err);
    case SRV_EMBEDDINGS:
        return get_inputs(o, r, err);
    default:
        return 0;
    }
}

int srv_parse_request(const srv_limits *lim, const char *method, const char *path, const srv_header *headers,
                      size_t n_headers, const char *body, size_t len, srv_request *req, srv_error *err) {
    memset(req, 0, sizeof *req);
    memset(err, 0, sizeof *err);
    if (!method || !path) return srv_fail(err, 400, "invalid_request_error", NULL, "no method or path");
    int st = route(method, path, &req->ep, err);
    if (st) return st;
    if (lim->api_key && *lim->api_key && req->ep != SRV_HEALTH && !authorised(lim, headers, n_headers))
        return srv_fail(err, 401, "authentication_error", NULL,
                        "missing or wrong API key: send the header \"Authorization: Bearer KEY\" with the server's --api-key");
    if (len > lim->max_body)
        return srv_fail(err, 413, "invalid_request_error", NULL, "request body of %zu bytes is over the limit of %zu bytes", len,
                        lim->max_body);
    if (req->ep == SRV_HEALTH || req->ep == SRV_MODELS || req->ep == SRV_METRICS) return 0;
    if (!body || len == 0) return BAD(NULL, "the request body is empty: send a JSON object");
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!o) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        return BAD(NULL, "the request body is not valid JSON (error near byte %zu)", at);
    }
    while (end < body + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) end++;
    if (end != body + len) {
        cJSON_Delete(o);
        return BAD(NULL, "the request body has bytes after its JSON value (at byte %zu)", (size_t)(end - body));
    }
    if (!cJSON_IsObject(o)) st = BAD(NULL, "the request body must be a JSON object");
    else st = parse_body(o, lim, req, err);
    cJSON_Delete(o);
    if (st) srv_request_free(req);
    return st;
}
