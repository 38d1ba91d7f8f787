/* Host-only: vkattn serve's request parser (src/server/request.c) without a socket or a model: routes (404,
 * 405), the API key (401 on every endpoint but /health, constant-time compare), body limit (413), malformed JSON,
 * wrong types, unknown roles, max_tokens beyond the context (400 naming the field), defaults and every field
 * of chat / completions / tokenize / detokenize / embeddings; penalties (llama-server's fields, -1 = the context,
 * the server's defaults) and unimplemented fields (400 unless neutral); stop-string scanning (cut at the first stop, a
 * possible stop prefix held back); base64 of f32 vectors against a known encoding; the OpenAI error object;
 * and 20000 random mutations of valid bodies that must each give 0 or a 4xx, never a crash (run under ASan). */
#include "harness.h"
#include "server.h"

#include <cjson/cJSON.h>
#include <string.h>

static const srv_limits LIM = {.api_key = NULL, .max_body = 4096, .n_ctx = 256};

static int parse(const srv_limits *lim, const char *method, const char *path, const char *body, srv_request *r, srv_error *e) {
    return srv_parse_request(lim, method, path, NULL, 0, body, body ? strlen(body) : 0, r, e);
}

/* Expects status `want` and, for errors, `param` in the error. */
static void expect(const char *method, const char *path, const char *body, int want, const char *param) {
    srv_request r;
    srv_error e;
    int st = parse(&LIM, method, path, body, &r, &e);
    CHECK(st == want, "%s %s %s -> %d (%s), expected %d", method, path, body ? body : "", st, st ? e.message : "", want);
    if (st && param) CHECK(strcmp(e.param, param) == 0, "%s: param \"%s\", expected \"%s\"", body, e.param, param);
    if (st) CHECK(e.message[0] != 0, "%s: empty error message", body);
    if (!st) srv_request_free(&r);
}

static void test_routes(void) {
    expect("GET", "/health", NULL, 0, NULL);
    expect("GET", "/v1/models", NULL, 0, NULL);
    expect("GET", "/metrics", NULL, 0, NULL);
    expect("GET", "/v1/models?x=1", NULL, 0, NULL);
    expect("GET", "/nope", NULL, 404, NULL);
    expect("GET", "/v1/chat/completions", NULL, 405, NULL);
    expect("POST", "/health", "{}", 405, NULL);
    expect("DELETE", "/v1/completions", NULL, 405, NULL);
    expect("POST", "/v1/completions", NULL, 400, NULL);           /* no body */
    expect("POST", "/v1/completions", "", 400, NULL);
}

static void test_auth(void) {
    const srv_limits lim = {.api_key = "k3y", .max_body = 4096, .n_ctx = 256};
    srv_request r;
    srv_error e;
    const char *body = "{\"prompt\": \"hi\"}";
    const struct {
        const char *name, *value;
        int want;
    } cases[] = {
        {"Authorization", "Bearer k3y", 0},  {"authorization", "bearer k3y", 0}, {"Authorization", "Bearer  k3y ", 0},
        {"Authorization", "Bearer k3", 401}, {"Authorization", "Bearer k3yy", 401}, {"Authorization", "k3y", 401},
        {"Authorization", "Basic k3y", 401}, {"X-Api-Key", "k3y", 401},          {"Authorization", "", 401},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srv_header h = {cases[i].name, cases[i].value};
        int st = srv_parse_request(&lim, "POST", "/v1/completions", &h, 1, body, strlen(body), &r, &e);
        CHECK(st == cases[i].want, "%s: %s -> %d, expected %d", cases[i].name, cases[i].value, st, cases[i].want);
        if (!st) srv_request_free(&r);
        else CHECK(strcmp(e.type, "authentication_error") == 0, "type %s", e.type);
    }
    int st = srv_parse_request(&lim, "GET", "/health", NULL, 0, NULL, 0, &r, &e);
    CHECK(st == 0, "/health needs no key: %d", st);
    st = srv_parse_request(&lim, "GET", "/metrics", NULL, 0, NULL, 0, &r, &e);
    CHECK(st == 401, "/metrics needs the key: %d", st);
    st = srv_parse_request(&lim, "GET", "/v1/models", NULL, 0, NULL, 0, &r, &e);
    CHECK(st == 401, "/v1/models needs the key: %d", st);
}

static void test_errors(void) {
    expect("POST", "/v1/chat/completions", "{", 400, "");
    expect("POST", "/v1/chat/completions", "[]", 400, "");
    expect("POST", "/v1/chat/completions", "{} x", 400, "");
    expect("POST", "/v1/chat/completions", "{}", 400, "messages");
    expect("POST", "/v1/chat/completions", "{\"messages\": []}", 400, "messages");
    expect("POST", "/v1/chat/completions", "{\"messages\": \"hi\"}", 400, "messages");
    expect("POST", "/v1/chat/completions", "{\"messages\": [1]}", 400, "messages");
    expect("POST", "/v1/chat/completions", "{\"messages\": [{\"content\": \"x\"}]}", 400, "messages");
    expect("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", 400, "messages");
    expect("POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400, "messages");
    expect("POST", "/v1/chat/completions",
           "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {}}]}]}", 400, "messages");
#define MSG "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
    expect("POST", "/v1/chat/completions", MSG "\"max_tokens\": 257}", 400, "max_tokens");
    expect("POST", "/v1/chat/completions", MSG "\"max_tokens\": 0}", 400, "max_tokens");
    expect("POST", "/v1/chat/completions", MSG "\"max_tokens\": 2.5}", 400, "max_tokens");
    expect("POST", "/v1/chat/completions", MSG "\"max_tokens\": \"8\"}", 400, "max_tokens");
    expect("POST", "/v1/chat/completions", MSG "\"max_completion_tokens\": 1e9}", 400, "max_completion_tokens");
    expect("POST", "/v1/chat/completions", MSG "\"temperature\": \"hot\"}", 400, "temperature");
    expect("POST", "/v1/chat/completions", MSG "\"temperature\": -1}", 400, "temperature");
    expect("POST", "/v1/chat/completions", MSG "\"top_p\": 1.5}", 400, "top_p");
    expect("POST", "/v1/chat/completions", MSG "\"top_k\": -1}", 400, "top_k");
    expect("POST", "/v1/chat/completions", MSG "\"min_p\": true}", 400, "min_p");
    expect("POST", "/v1/chat/completions", MSG "\"seed\": \"1\"}", 400, "seed");
    expect("POST", "/v1/chat/completions", MSG "\"stream\": 1}", 400, "stream");
    expect("POST", "/v1/chat/completions", MSG "\"stop\": 3}", 400, "stop");
    expect("POST", "/v1/chat/completions", MSG "\"stop\": [\"a\", 1]}", 400, "stop");
    expect("POST", "/v1/chat/completions", MSG "\"stop\": [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}", 400, "stop");
    expect("POST", "/v1/chat/completions", MSG "\"n\": 2}", 400, "n");
    expect("POST", "/v1/chat/completions", MSG "\"stream_options\": 1}", 400, "stream_options");
    expect("POST", "/v1/completions", "{\"prompt\": 1}", 400, "prompt");
    expect("POST", "/v1/completions", "{\"prompt\": [\"a\", \"b\"]}", 400, "prompt");
    expect("POST", "/v1/completions", "{\"prompt\": [1, 2]}", 400, "prompt");
    expect("POST", "/tokenize", "{\"content\": 1}", 400, "content");
    expect("POST", "/tokenize", "{\"content\": \"x\", \"add_special\": \"yes\"}", 400, "add_special");
    expect("POST", "/detokenize", "{\"tokens\": [1, -2]}", 400, "tokens");
    expect("POST", "/detokenize", "{\"tokens\": [1.5]}", 400, "tokens");
    expect("POST", "/detokenize", "{\"tokens\": \"1\"}", 400, "tokens");
    expect("POST", "/v1/embeddings", "{}", 400, "input");
    expect("POST", "/v1/embeddings", "{\"input\": []}", 400, "input");
    expect("POST", "/v1/embeddings", "{\"input\": [[1, 2]]}", 400, "input");
    expect("POST", "/v1/embeddings", "{\"input\": \"x\", \"encoding_format\": \"hex\"}", 400, "encoding_format");
    /* body limit: 413 whatever the content */
    char big[5000];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = 0;
    big[0] = '{';
    big[sizeof big - 2] = '}';
    expect("POST", "/v1/completions", big, 413, NULL);
    /* a NUL inside the body */
    srv_request r;
    srv_error e;
    int st = srv_parse_request(&LIM, "POST", "/v1/completions", NULL, 0, "{\"prompt\": \"a\"}\0x", 17, &r, &e);
    CHECK(st == 400, "NUL in the body -> %d", st);
}

static void test_fields(void) {
    srv_request r;
    srv_error e;
    const char *chat = "{\"model\": \"x\", \"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", "
                       "\"content\": [{\"type\": \"text\", \"text\": \"he\"}, {\"type\": \"text\", \"text\": \"llo\"}]}, "
                       "{\"role\": \"assistant\", \"content\": null}], \"max_tokens\": 256, \"temperature\": 0, \"top_p\": 0.5, "
                       "\"top_k\": 7, \"min_p\": 0.1, \"seed\": 42, \"stop\": [\"\\n\", \"\", \"END\"], \"stream\": true, "
                       "\"stream_options\": {\"include_usage\": true}, \"n\": 1, \"frequency_penalty\": 0}";
    int st = parse(&LIM, "POST", "/v1/chat/completions", chat, &r, &e);
    CHECK(st == 0, "chat: %d %s", st, e.message);
    if (!st) {
        CHECK(r.ep == SRV_CHAT && r.n_messages == 3, "ep %d, %zu messages", r.ep, r.n_messages);
        CHECK(strcmp(r.messages[1].content, "hello") == 0, "text parts joined: %s", r.messages[1].content);
        CHECK(strcmp(r.messages[2].content, "") == 0, "null content");
        const vkattn_sampler_desc *d = &r.sampling;
        CHECK(r.max_tokens == 256 && d->temperature == 0 && d->top_p == 0.5f && d->top_k == 7 && d->min_p == 0.1f, "sampling");
        CHECK(r.has_seed && d->seed == 42, "seed");
        CHECK(d->frequency_penalty == 0 && d->presence_penalty == 0 && d->repeat_penalty == 1 && d->penalty_last_n == 64,
              "penalties: neutral / llama-server's defaults");
        CHECK(r.n_stop == 2 && strcmp(r.stop[0], "\n") == 0 && strcmp(r.stop[1], "END") == 0, "stop: %zu", r.n_stop);
        CHECK(r.stream && r.include_usage, "stream");
        srv_request_free(&r);
    }
    st = parse(&LIM, "POST", "/v1/completions", "{\"prompt\": [\"once\"], \"stop\": \"x\", \"n_predict\": -1}", &r, &e);
    CHECK(st == 0, "completions: %d %s", st, e.message);
    if (!st) {
        CHECK(strcmp(r.prompt, "once") == 0 && r.n_stop == 1 && r.max_tokens == -1, "prompt array, stop string");
        /* llama-server's defaults */
        const vkattn_sampler_desc *d = &r.sampling;
        CHECK(d->temperature == 0.8f && d->top_k == 40 && d->top_p == 0.95f && d->min_p == 0.05f && !r.has_seed && !r.stream,
              "defaults");
        srv_request_free(&r);
    }
    st = parse(&LIM, "POST", "/tokenize", "{\"content\": \"a b\", \"add_special\": true, \"with_pieces\": true}", &r, &e);
    CHECK(st == 0 && r.content_len == 3 && r.add_special && r.with_pieces, "tokenize: %d", st);
    if (!st) srv_request_free(&r);
    st = parse(&LIM, "POST", "/detokenize", "{\"tokens\": [0, 5, 2147483647]}", &r, &e);
    CHECK(st == 0 && r.n_tokens == 3 && r.tokens[2] == 2147483647, "detokenize: %d", st);
    if (!st) srv_request_free(&r);
    st = parse(&LIM, "POST", "/v1/embeddings", "{\"input\": [\"a\", \"b\"], \"encoding_format\": \"base64\"}", &r, &e);
    CHECK(st == 0 && r.n_inputs == 2 && r.base64, "embeddings: %d", st);
    if (!st) srv_request_free(&r);
    st = parse(&LIM, "POST", "/apply-template", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", &r, &e);
    CHECK(st == 0 && r.ep == SRV_APPLY_TEMPLATE, "apply-template: %d", st);
    if (!st) srv_request_free(&r);
}

/* Penalties as llama-server reads them (repeat_penalty, repeat_last_n with -1 = the context, frequency_penalty,
 * presence_penalty), the server's own defaults (--repeat-penalty ... / --seed), and fields this server does not
 * implement: a 400 naming them unless they are neutral. */
static void test_penalties_and_unsupported(void) {
    srv_request r;
    srv_error e;
    int st = parse(&LIM, "POST", "/v1/completions", "{\"prompt\": \"x\", \"repeat_penalty\": 1.3, \"repeat_last_n\": 16, "
                   "\"frequency_penalty\": -0.5, \"presence_penalty\": 1.25}", &r, &e);
    CHECK(st == 0, "penalties: %d %s", st, e.message);
    if (!st) {
        const vkattn_sampler_desc *d = &r.sampling;
        CHECK(d->repeat_penalty == 1.3f && d->penalty_last_n == 16 && d->frequency_penalty == -0.5f &&
                  d->presence_penalty == 1.25f, "penalties parsed: %g %u %g %g", d->repeat_penalty, d->penalty_last_n,
              d->frequency_penalty, d->presence_penalty);
        srv_request_free(&r);
    }
    st = parse(&LIM, "POST", "/v1/completions", "{\"prompt\": \"x\", \"repeat_last_n\": -1}", &r, &e);
    CHECK(st == 0 && r.sampling.penalty_last_n == LIM.n_ctx, "repeat_last_n -1 = the context (%u)", r.sampling.penalty_last_n);
    if (!st) srv_request_free(&r);
    st = parse(&LIM, "POST", "/v1/completions", "{\"prompt\": \"x\", \"penalty_last_n\": 0}", &r, &e);
    CHECK(st == 0 && r.sampling.penalty_last_n == 0, "penalty_last_n alias");
    if (!st) srv_request_free(&r);
    /* the server's defaults and its --seed */
    vkattn_sampler_desc dflt;
    vkattn_sampler_desc_default(&dflt);
    dflt.repeat_penalty = 1.1f, dflt.frequency_penalty = 0.25f, dflt.temperature = 0, dflt.seed = 77;
    const srv_limits lim = {.max_body = 4096, .n_ctx = 256, .sampling = &dflt, .seed_set = 1};
    st = parse(&lim, "POST", "/v1/completions", "{\"prompt\": \"x\", \"presence_penalty\": 0.5}", &r, &e);
    CHECK(st == 0 && r.sampling.repeat_penalty == 1.1f && r.sampling.frequency_penalty == 0.25f &&
              r.sampling.presence_penalty == 0.5f && r.sampling.temperature == 0 && r.has_seed && r.sampling.seed == 77,
          "server defaults under the request's fields");
    if (!st) srv_request_free(&r);
    st = parse(&lim, "POST", "/v1/completions", "{\"prompt\": \"x\", \"seed\": -1}", &r, &e);
    CHECK(st == 0 && !r.has_seed, "seed -1: random even with a server seed");
    if (!st) srv_request_free(&r);
    /* bad values */
    const char *P = "{\"prompt\": \"x\", ";
    char body[256];
    const struct { const char *field, *param; } bad[] = {
        {"\"frequency_penalty\": 2.5}", "frequency_penalty"}, {"\"presence_penalty\": \"high\"}", "presence_penalty"},
        {"\"repeat_penalty\": -1}", "repeat_penalty"},       {"\"repeat_last_n\": -2}", "repeat_last_n"},
        {"\"repeat_last_n\": 1.5}", "repeat_last_n"},        {"\"logit_bias\": {\"5\": -100}}", "logit_bias"},
        {"\"typical_p\": 0.5}", "typical_p"},                {"\"mirostat\": 2}", "mirostat"},
        {"\"logprobs\": true}", "logprobs"},                  {"\"grammar\": \"root ::= x\"}", "grammar"},
        {"\"response_format\": {\"type\": \"json_object\"}}", "response_format"},
        {"\"tools\": [{\"type\": \"function\"}]}", "tools"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, "%s%s", P, bad[i].field);
        expect("POST", "/v1/completions", body, 400, bad[i].param);
    }
    /* neutral values of the unsupported fields are accepted (SDKs send them) */
    expect("POST", "/v1/chat/completions",
           "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"logit_bias\": {}, \"logprobs\": false, "
           "\"tools\": [], \"typical_p\": 1, \"response_format\": {\"type\": \"text\"}, \"grammar\": \"\"}", 0, NULL);
}

static void test_stop_scan(void) {
    char *stops[] = {"END", "\n\n"};
    int found;
    CHECK(srv_stop_scan("hello", 5, stops, 2, &found) == 5 && !found, "no stop");
    CHECK(srv_stop_scan("helloEN", 7, stops, 2, &found) == 5 && !found, "\"EN\" held back");
    CHECK(srv_stop_scan("hello\n", 6, stops, 2, &found) == 5 && !found, "\"\\n\" held back");
    CHECK(srv_stop_scan("heENDllo\n\n", 10, stops, 2, &found) == 2 && found, "cut at END");
    CHECK(srv_stop_scan("a\n\nbEND", 7, stops, 2, &found) == 1 && found, "first stop wins");
    CHECK(srv_stop_scan("E", 1, stops, 2, &found) == 0 && !found, "short text");
    CHECK(srv_stop_scan("abc", 3, stops, 0, &found) == 3 && !found, "no stops");
}

static void test_replies(void) {
    const float v[2] = {1.0f, -2.5f}; /* bytes 00 00 80 3f 00 00 20 c0 (numpy: float32 tobytes) */
    char *b = srv_b64_floats(v, 2);
    CHECK(b && strcmp(b, "AACAPwAAIMA=") == 0, "base64: %s", b ? b : "(null)");
    free(b);
    srv_error e;
    srv_fail(&e, 400, "invalid_request_error", "max_tokens", "too \"many\" %d", 3);
    char *j = srv_error_json(&e);
    cJSON *o = cJSON_Parse(j);
    const cJSON *err = cJSON_GetObjectItem(o, "error");
    CHECK(err && cJSON_GetObjectItem(err, "code")->valueint == 400 &&
              strcmp(cJSON_GetObjectItem(err, "message")->valuestring, "too \"many\" 3") == 0 &&
              strcmp(cJSON_GetObjectItem(err, "param")->valuestring, "max_tokens") == 0 &&
              strcmp(cJSON_GetObjectItem(err, "type")->valuestring, "invalid_request_error") == 0,
          "error object: %s", j);
    cJSON_Delete(o);
    free(j);
}

/* Random byte edits of valid bodies: each parse returns 0 or a 4xx with a message. */
static void test_mutations(void) {
    const char *seeds[] = {
        ("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"hi\"}]}], \"max_tokens\": 8, "
         "\"stop\": [\"a\"], \"stream\": true, \"stream_options\": {\"include_usage\": true}, \"seed\": 3}"),
        "{\"prompt\": [\"x\"], \"temperature\": 0.5, \"top_k\": 3, \"top_p\": 0.9, \"min_p\": 0.1}",
        "{\"tokens\": [1, 2, 3]}",
        "{\"input\": [\"a\", \"b\"], \"encoding_format\": \"base64\"}",
    };
    const char *paths[] = {"/v1/chat/completions", "/v1/completions", "/detokenize", "/v1/embeddings"};
    const char alphabet[] = "{}[]\",:0123456789.eE-+ \\untrsefalx\x80\xff";
    th_seed(7);
    for (int it = 0; it < 20000; it++) {
        int k = it % 4;
        char buf[512];
        size_t n = strlen(seeds[k]);
        memcpy(buf, seeds[k], n);
        int edits = 1 + (int)th_uniform(0, 4);
        for (int m = 0; m < edits; m++) {
            size_t at = (size_t)th_uniform(0, (float)n);
            if (at >= n) at = n - 1;
            char c = alphabet[(size_t)th_uniform(0, sizeof alphabet - 1) % (sizeof alphabet - 1)];
            float op = th_uniform(0, 3);
            if (op < 1) buf[at] = c;                                             /* replace */
            else if (op < 2 && n > 1) memmove(buf + at, buf + at + 1, n-- - at - 1); /* delete */
            else if (n < sizeof buf - 1) {                                        /* insert */
                memmove(buf + at + 1, buf + at, n++ - at);
                buf[at] = c;
            }
        }
        srv_request r;
        srv_error e;
        int st = srv_parse_request(&LIM, "POST", paths[k], NULL, 0, buf, n, &r, &e);
        if (st == 0) srv_request_free(&r);
        else CHECK(st >= 400 && st < 500 && e.message[0], "mutation %d: status %d", it, st);
    }
}

int main(void) {
    test_routes();
    test_auth();
    test_errors();
    test_fields();
    test_penalties_and_unsupported();
    test_stop_scan();
    test_replies();
    test_mutations();
    return th_finish(NULL);
}
