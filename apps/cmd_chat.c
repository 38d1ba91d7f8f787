/* vkattn chat: a conversation in the terminal. Every turn renders the whole conversation with the model's
 * chat template, and only the tokens after the longest common prefix with what the KV cache already holds
 * are prefilled (the previous turns stay cached). Replies stream as they are generated; Ctrl-C stops one
 * without leaving; when the context fills, the oldest turns after the system prompt are dropped. */
#include "bench_report.h"
#include "chat_cli.h"
#include "cli.h"
#include "demo_model.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef VKATTN_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

typedef struct chat_opts {
    const char *model, *system, *template_override, *device;
    uint32_t n_ctx, n_predict;
    cli_sampling sampling;
    int verbose, no_reuse, ignore_eos;
} chat_opts;

typedef struct chat_msg {
    char *role, *content;
} chat_msg;

typedef struct chat {
    chat_opts o;
    vkattn_context *ctx;
    vkattn_model *m;
    const vkattn_tokenizer *tok;
    vkattn_chat_template *tmpl;
    char *bos, *eos;
    chat_msg *msgs;
    size_t n_msgs, cap_msgs;
    int32_t *cache;     /* the tokens whose K/V the cache holds at positions [0, n_cache) */
    uint32_t n_cache, n_ctx, n_vocab;
    float *logits;
    vkattn_sampler *smp;
    int tty;
} chat;

/* SIGINT is blocked in every thread except while the main thread waits for a line or polls between tokens
 * (cmd_chat blocks it before the driver starts its threads, which inherit the mask). A process-directed
 * signal then always runs on_sigint on the main thread, before the interrupted read returns: with a
 * driver thread free to take it, the flag could be set just after readline had returned NULL, and a
 * Ctrl-C at the prompt then ended the session as an end of input would. */
static volatile sig_atomic_t interrupted;
static sigset_t sigint_set;
static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

static void sigint_allow(int allow) { pthread_sigmask(allow ? SIG_UNBLOCK : SIG_BLOCK, &sigint_set, NULL); }

/* A pending Ctrl-C is taken (on_sigint runs before the unblock returns); returns whether one came. */
static int sigint_poll(void) {
    sigint_allow(1);
    sigint_allow(0);
    return interrupted;
}

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn chat [-m MODEL.gguf] [-sys TEXT] [--chat-template NAME|FILE] [-c CTX] [-n N]\n"
               "                   [sampling options] [--device D] [-v]\n\n"
               "A conversation with a chat model: type a message, the reply streams back. The conversation is\n"
               "formatted with the model's chat template (tokenizer.chat_template) and kept in the KV cache, so each\n"
               "turn computes only its new tokens. Without -m: the built-in demo model (not a chat model).\n\n"
               "  -sys TEXT               system prompt\n"
               "  --chat-template T       override the template: a built-in (%s) or a Jinja file\n"
               "  -c N                    context length (default: min(model's, 4096)); when it fills, the oldest\n"
               "                          turns after the system prompt are dropped\n"
               "  -n N                    most tokens per reply (default 0 or -1: until the end-of-turn token)\n"
               "sampling, as vkattn run (the penalties' window spans the conversation's tokens):\n"
               CLI_SAMPLING_USAGE
               "other:\n"
               "  -v                      per turn: cached tokens reused and tokens prefilled (stderr)\n"
               "  --no-reuse              prefill the whole conversation every turn (for testing the cache reuse)\n"
               "  --ignore-eos            do not stop a reply at the end-of-turn token (testing)\n\n"
               "In the conversation: /clear forgets it (keeps the system prompt), /exit or Ctrl-D leaves,\n"
               "Ctrl-C stops a reply. Line editing and history when the input is a terminal.\n",
            vkattn_chat_builtin_names());
}

static int parse_args(int argc, char **argv, chat_opts *o) {
    cli_sampling_init(&o->sampling);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "-v") == 0) { o->verbose = 1; continue; }
        if (strcmp(a, "--no-reuse") == 0) { o->no_reuse = 1; continue; }
        if (strcmp(a, "--ignore-eos") == 0) { o->ignore_eos = 1; continue; }
        int rc = 0;
        if (cli_sampling_option("chat", a, v, &o->sampling, &rc)) {
            if (rc) return rc;
            i++;
            continue;
        }
        if (!v) {
            fprintf(stderr, "vkattn chat: %s needs a value (see --help)\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) o->model = v;
        else if (strcmp(a, "-sys") == 0 || strcmp(a, "--system") == 0) o->system = v;
        else if (strcmp(a, "--chat-template") == 0) o->template_override = v;
        else if (strcmp(a, "--device") == 0) o->device = v;
        else if (strcmp(a, "-c") == 0) rc = cli_parse_uint("chat", a, v, 0, INT32_MAX, &o->n_ctx);
        else if (strcmp(a, "-n") == 0) { /* -1 (llama.cpp's "no limit") = 0 */
            long long x = 0;
            rc = cli_parse_int("chat", a, v, -1, INT32_MAX, &x);
            o->n_predict = x < 0 ? 0 : (uint32_t)x;
        }
        else {
            fprintf(stderr, "vkattn chat: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (rc) return rc;
    }
    return 0;
}

static char *dup_text(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static int push_msg(chat *c, const char *role, const char *content, size_t len) {
    if (c->n_msgs == c->cap_msgs) {
        size_t cap = c->cap_msgs ? c->cap_msgs * 2 : 16;
        chat_msg *m = realloc(c->msgs, cap * sizeof *m);
        if (!m) return -1;
        c->msgs = m;
        c->cap_msgs = cap;
    }
    chat_msg *m = &c->msgs[c->n_msgs];
    if (!(m->role = dup_text(role, strlen(role))) || !(m->content = dup_text(content, len))) {
        free(m->role);
        return -1;
    }
    c->n_msgs++;
    return 0;
}

/* removes messages [i, i + k) */
static void drop_msgs(chat *c, size_t i, size_t k) {
    for (size_t j = i; j < i + k; j++) {
        free(c->msgs[j].role);
        free(c->msgs[j].content);
    }
    memmove(c->msgs + i, c->msgs + i + k, (c->n_msgs - i - k) * sizeof *c->msgs);
    c->n_msgs -= k;
}

/* The conversation as the template renders it (ending with the assistant's header), tokenized with
 * special tokens parsed; BOS is added only when the template did not write it. */
static vkattn_status render_tokens(chat *c, int32_t **ids, size_t *n) {
    vkattn_chat_message *m = malloc((c->n_msgs + 1) * sizeof *m);
    if (!m) return VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < c->n_msgs; i++) m[i] = (vkattn_chat_message){c->msgs[i].role, c->msgs[i].content};
    vkattn_chat_params p = {1, c->bos, c->eos, NULL};
    char *text = NULL;
    size_t len = 0;
    vkattn_status st = vkattn_chat_template_apply(c->tmpl, m, c->n_msgs, &p, &text, &len);
    free(m);
    if (st) return st;
    int add_special = !(*c->bos && strncmp(text, c->bos, strlen(c->bos)) == 0);
    size_t need = 0;
    vkattn_tokenize(c->tok, text, len, add_special, 1, NULL, 0, &need);
    *ids = malloc((need + 1) * sizeof **ids);
    st = *ids ? vkattn_tokenize(c->tok, text, len, add_special, 1, *ids, need, n) : VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    vkattn_chat_free(text);
    if (st) {
        free(*ids);
        *ids = NULL;
    }
    return st;
}

/* Renders the conversation so that it leaves room for a reply, dropping the oldest turns after the system
 * prompt while it does not. Returns 0, 1 when the last message alone is too long (it is removed), or -1. */
static int fit_context(chat *c, int32_t **ids, size_t *n) {
    uint32_t room = c->o.n_predict ? c->o.n_predict : c->n_ctx / 4;
    if (room > c->n_ctx / 2) room = c->n_ctx / 2;
    size_t dropped = 0;
    for (;;) {
        vkattn_status st = render_tokens(c, ids, n);
        if (st) {
            fprintf(stderr, "vkattn chat: %s: %s\n", vkattn_status_string(st), vkattn_context_error(NULL));
            drop_msgs(c, c->n_msgs - 1, 1); /* the message the template refused */
            return -1;
        }
        if (*n + room <= c->n_ctx) break;
        size_t first = c->n_msgs && strcmp(c->msgs[0].role, "system") == 0 ? 1 : 0;
        if (c->n_msgs - first <= 1) {
            fprintf(stderr, "[the message is too long: %zu tokens with the system prompt, the context holds %u and "
                            "keeps %u for the reply; raise -c]\n", *n, c->n_ctx, room);
            free(*ids);
            *ids = NULL;
            drop_msgs(c, c->n_msgs - 1, 1);
            return 1;
        }
        /* a user turn and its reply */
        size_t k = c->n_msgs - first > 2 && strcmp(c->msgs[first + 1].role, "assistant") == 0 ? 2 : 1;
        drop_msgs(c, first, k);
        dropped += k;
        free(*ids);
        *ids = NULL;
    }
    if (dropped)
        fprintf(stderr, "[context full (%u tokens): dropped the %zu oldest message%s after the system prompt]\n", c->n_ctx,
                dropped, dropped == 1 ? "" : "s");
    return 0;
}

/* One turn: prefill what the cache lacks, then generate and stream the reply. */
static int turn(chat *c) {
    int32_t *ids = NULL;
    size_t n = 0;
    int r = fit_context(c, &ids, &n);
    if (r) return r < 0 ? 1 : 0;
    uint32_t keep = 0;
    if (!c->o.no_reuse)
        while (keep < c->n_cache && keep < n && c->cache[keep] == ids[keep]) keep++;
    if (keep == n) keep--; /* at least one token gives the next token's logits */
    if (c->o.verbose) fprintf(stderr, "[reused %u cached tokens of %zu; prefilling %zu]\n", keep, n, n - keep);
    int rc = 0;
    double t0 = bench_now_ms();
    vkattn_status st = vkattn_model_eval(c->m, ids + keep, (uint32_t)(n - keep), keep, 0, c->logits);
    double t_prefill = bench_now_ms() - t0;
    memcpy(c->cache, ids, n * sizeof *ids);
    c->n_cache = st ? 0 : (uint32_t)n;
    /* the penalties' window: the tokens as they enter the cache (the prompt's too, as llama-server) */
    for (size_t i = keep; !st && i < n; i++) vkattn_sampler_accept(c->smp, ids[i]);
    free(ids);
    if (st) return cli_fail("prefill", st, c->ctx);

    vkattn_detok *dt = NULL;
    if ((st = vkattn_detok_create(c->tok, 0, &dt))) return cli_fail("detokenizer", st, NULL);
    char *reply = NULL, buf[4096];
    size_t reply_len = 0, reply_cap = 0, got;
    uint32_t n_gen = 0;
    int full = 0;
    t0 = bench_now_ms();
    while (!rc && !sigint_poll() && (!c->o.n_predict || n_gen < c->o.n_predict)) {
        int32_t tok;
        if ((st = vkattn_sampler_sample(c->smp, c->logits, c->n_vocab, &tok))) {
            rc = cli_fail("sampling", st, NULL);
            break;
        }
        if (!c->o.ignore_eos && vkattn_tokenizer_is_eog(c->tok, tok)) break;
        vkattn_sampler_accept(c->smp, tok);
        n_gen++;
        if (vkattn_detok_push(dt, tok, buf, sizeof buf, &got)) got = 0; /* streamed: whole characters only */
        fwrite(buf, 1, got, stdout);
        fflush(stdout);
        if (reply_len + got + 1 > reply_cap) {
            char *p = realloc(reply, reply_cap = (reply_len + got + 1) * 2);
            if (!p) {
                rc = cli_fail("chat", VKATTN_ERROR_OUT_OF_HOST_MEMORY, NULL);
                break;
            }
            reply = p;
        }
        memcpy(reply + reply_len, buf, got);
        reply_len += got;
        reply[reply_len] = 0;
        if (c->n_cache + 1 > c->n_ctx) {
            full = 1;
            break;
        }
        if ((st = vkattn_model_eval(c->m, &tok, 1, c->n_cache, 0, c->logits))) {
            rc = cli_fail("decoding", st, c->ctx);
            break;
        }
        c->cache[c->n_cache++] = tok;
    }
    double t_gen = bench_now_ms() - t0;
    if (vkattn_detok_flush(dt, buf, sizeof buf, &got) == VKATTN_OK && got) {
        fwrite(buf, 1, got, stdout);
        char *p = realloc(reply, reply_len + got + 1);
        if (p) {
            memcpy(p + reply_len, buf, got);
            reply = p;
            reply_len += got;
            reply[reply_len] = 0;
        }
    }
    vkattn_detok_destroy(dt);
    printf("\n");
    if (interrupted) printf("[stopped]\n");
    if (full) printf("[context full (%u tokens): the reply was cut; the oldest turns will be dropped next turn]\n", c->n_ctx);
    fflush(stdout);
    if (c->o.verbose)
        fprintf(stderr, "[prefill %.1f ms for %zu tokens; %u tokens in %.1f ms]\n", t_prefill, n - keep, n_gen, t_gen);
    if (!rc && push_msg(c, "assistant", reply ? reply : "", reply_len)) rc = 1;
    free(reply);
    return rc;
}

/* One line of input (without the newline), malloc'ed; NULL at end of input or on Ctrl-C (interrupted set). */
static char *read_line_unguarded(chat *c) {
#ifdef VKATTN_HAVE_LIBEDIT
    if (c->tty) {
        char *line = readline("> ");
        if (line && *line) add_history(line);
        return line;
    }
#endif
    if (c->tty) {
        fputs("> ", stdout);
        fflush(stdout);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    return line;
}

static char *read_line(chat *c) {
    sigint_allow(1);
    char *line = read_line_unguarded(c);
    sigint_allow(0);
    return line;
}

static int conversation(chat *c) {
    if (c->o.system && push_msg(c, "system", c->o.system, strlen(c->o.system))) return 1;
    if (c->tty) fprintf(stderr, "vkattn chat: /clear forgets the conversation, /exit or Ctrl-D leaves, Ctrl-C stops a reply or drops the line\n");
    /* a Ctrl-C while the model loaded ends the program, as it would have then */
    sigint_allow(1);
    /* Ctrl-C is ours for the whole session, not only while a turn runs: a signal that lands between the
     * line editor returning and a turn starting must stop that turn, never kill the session */
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    sigint_allow(0);
    int rc = 0;
    char *line;
    while (!rc) {
        line = read_line(c);
        if (!line && interrupted) { /* Ctrl-C at the prompt drops the line being typed, as a shell does */
            interrupted = 0;
            clearerr(stdin);
            printf("\n");
            continue;
        }
        if (!line) break;
        interrupted = 0; /* a Ctrl-C at the prompt does not stop the turn typed after it */
        if (strcmp(line, "/exit") == 0 || strcmp(line, "/quit") == 0) {
            free(line);
            break;
        }
        if (strcmp(line, "/clear") == 0) {
            size_t first = c->n_msgs && strcmp(c->msgs[0].role, "system") == 0 ? 1 : 0;
            drop_msgs(c, first, c->n_msgs - first);
            vkattn_sampler_reset(c->smp);
            printf("[conversation cleared]\n");
            fflush(stdout);
        } else if (*line == 0) {
            /* nothing to say */
        } else if (push_msg(c, "user", line, strlen(line))) rc = 1;
        else rc = turn(c);
        free(line);
    }
    sigaction(SIGINT, &old, NULL);
    return rc;
}

int cmd_chat(int argc, char **argv) {
    chat c = {0};
    int rc = parse_args(argc, argv, &c.o);
    if (rc) return rc;
    size_t size = 0;
    const void *data = NULL;
    if (!c.o.model && !(data = demo_model_data(&size))) {
        fprintf(stderr, "vkattn chat: no built-in model in this build: pass -m MODEL.gguf\n");
        return 2;
    }
    c.tty = isatty(0) && isatty(1);
    sigemptyset(&sigint_set);
    sigaddset(&sigint_set, SIGINT);
    sigint_allow(0); /* before the driver's threads exist (see on_sigint) */
    if (!(c.ctx = cli_context(c.o.device, 0))) return 1;
    vkattn_model_desc md = {.n_ctx = c.o.n_ctx};
    c.m = cli_load_model(c.ctx, c.o.model, data, size, &md, NULL);
    char *src = NULL;
    if (!c.m) rc = 1;
    else if (!(c.tok = vkattn_model_tokenizer(c.m))) {
        fprintf(stderr, "vkattn chat: the model has no tokenizer (tokenizer.ggml.*): a chat needs one\n");
        rc = 1;
    } else if (!(src = cli_chat_template("chat", c.o.template_override, vkattn_model_chat_template(c.m)))) rc = 2;
    vkattn_status st;
    if (!rc && (st = vkattn_chat_template_create(src, &c.tmpl))) {
        fprintf(stderr, "vkattn chat: %s%s: %s\n", c.o.template_override ? "--chat-template " : "the model's chat template",
                c.o.template_override ? c.o.template_override : "", vkattn_context_error(NULL));
        rc = 2;
    }
    if (!rc) {
        vkattn_model_info mi;
        vkattn_model_get_info(c.m, &mi);
        vkattn_tokenizer_info ti;
        vkattn_tokenizer_get_info(c.tok, &ti);
        c.n_ctx = mi.n_ctx;
        c.n_vocab = mi.n_vocab;
        c.bos = cli_token_text(c.tok, ti.bos_id);
        c.eos = cli_token_text(c.tok, ti.eos_id);
        c.cache = malloc((size_t)c.n_ctx * sizeof *c.cache);
        c.logits = malloc((size_t)c.n_vocab * sizeof *c.logits);
        if (!c.bos || !c.eos || !c.cache || !c.logits) rc = cli_fail("chat", VKATTN_ERROR_OUT_OF_HOST_MEMORY, NULL);
        else {
            const vkattn_sampler_desc sd = cli_sampling_desc(&c.o.sampling, c.n_ctx);
            if ((st = vkattn_sampler_create(&sd, &c.smp))) rc = cli_fail("sampler", st, NULL);
        }
        if (!rc) rc = conversation(&c);
    }
    drop_msgs(&c, 0, c.n_msgs);
    free(c.msgs);
    vkattn_sampler_destroy(c.smp);
    free(c.logits);
    free(c.cache);
    free(c.bos);
    free(c.eos);
    free(src);
    vkattn_chat_template_destroy(c.tmpl);
    vkattn_model_destroy(c.m);
    vkattn_context_destroy(c.ctx);
    sigint_allow(1);
    return rc;
}
