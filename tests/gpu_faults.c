/* Fault injection (src/core/fault.c): VKATTN_FAULT=<kind>:N fails the Nth device-memory allocation, buffer
 * map, queue submit or fence wait of a context. For each kind, N walks over a scenario: context, the built-in
 * demo model loaded from memory, a 6-token prompt in chunks of 4 with every row's logits (a buffer allocated
 * lazily during generation), 4 greedy steps. Every failing public call must return an error status with a
 * message; then either the context stays usable (the scenario, run again on it, gives the tokens of the
 * fault-free run) or it reports VKATTN_ERROR_DEVICE_LOST on every later call. After the model is destroyed
 * no device memory is left in use, and no validation message was raised. Also the prefill progress callback. */
#include "harness.h"

#include "core/core.h"

#include <string.h>

const void *demo_model_data(size_t *size); /* apps/demo_model.c (the vkattn_demo_model library) */

enum { N_PROMPT = 6, N_GEN = 4 };
static const int32_t PROMPT[N_PROMPT] = {1, 44, 309, 599, 258, 286};
static const void *model_data;
static size_t model_size;
static int progress_calls;
static uint64_t progress_last;

static void on_progress(void *user, uint64_t done, uint64_t total);
static const vkattn_model_desc model_desc = {.n_ctx = 32, .n_batch = 4, .eval_progress = on_progress};

static void on_progress(void *user, uint64_t done, uint64_t total) {
    (void)user;
    CHECK(done > progress_last && done <= total && total == N_PROMPT, "progress %llu/%llu after %llu", (unsigned long long)done,
          (unsigned long long)total, (unsigned long long)progress_last);
    progress_last = done, progress_calls++;
}

/* Load (unless *m is there), prompt, greedy steps into gen. The first failing call's status, or VKATTN_OK. */
static vkattn_status scenario(vkattn_context *ctx, vkattn_model **m, int32_t *gen) {
    vkattn_status st = *m ? VKATTN_OK : vkattn_model_load_memory(ctx, model_data, model_size, &model_desc, m);
    vkattn_model_info mi;
    if (!st) vkattn_model_get_info(*m, &mi);
    float *logits = st ? NULL : th_alloc((size_t)N_PROMPT * mi.n_vocab);
    progress_calls = 0, progress_last = 0;
    if (!st && !(st = vkattn_model_eval(*m, PROMPT, N_PROMPT, 0, 1, logits))) {
        CHECK(progress_calls == 2 && progress_last == N_PROMPT, "prefill progress: %d calls, last %llu", progress_calls,
              (unsigned long long)progress_last);
        const float *last = logits + (size_t)(N_PROMPT - 1) * mi.n_vocab;
        gen[0] = 0;
        for (uint32_t i = 1; i < mi.n_vocab; i++)
            if (last[i] > last[gen[0]]) gen[0] = (int32_t)i;
    }
    for (uint32_t i = 1; !st && i < N_GEN; i++) st = vkattn_model_eval_argmax(*m, &gen[i - 1], 1, N_PROMPT + i - 1, &gen[i]);
    free(logits);
    return st;
}

/* After a device loss every call that reaches the device says so. */
static void check_lost(vkattn_context *ctx, vkattn_model *m, const char *fault) {
    int32_t tok = 1, out;
    if (m) CHECK_STATUS(ctx, vkattn_model_eval_argmax(m, &tok, 1, 0, &out), VKATTN_ERROR_DEVICE_LOST);
    vkattn_tensor *t = NULL;
    CHECK_STATUS(ctx, vkattn_tensor_create(ctx, VKATTN_F32, 1, (int64_t[]){4}, &t), VKATTN_ERROR_DEVICE_LOST);
    CHECK(t == NULL, "%s: a tensor created after the loss", fault);
    CHECK_STATUS(ctx, vkattn_begin(ctx), VKATTN_ERROR_DEVICE_LOST);
}

/* One scenario on ctx with its fault armed: gen gets the tokens. Returns 1 when the context was lost. */
static int run(vkattn_context *ctx, const char *fault, const int32_t *want, int32_t *gen) {
    vkattn_model *m = NULL;
    vkattn_status st = scenario(ctx, &m, gen);
    const vkattn_status first = st;
    int lost = st == VKATTN_ERROR_DEVICE_LOST;
    if (st) {
        const char *msg = vkattn_context_error(ctx);
        CHECK(msg[0] && strcmp(msg, "no error") != 0, "%s: %s without a message", fault, vkattn_status_string(st));
        ctx->fault_kind = -1; /* memory is back: the context must work again, unless lost */
        if (lost) check_lost(ctx, m, fault);
        else if ((st = scenario(ctx, &m, gen)) != VKATTN_OK)
            CHECK(0, "%s: the context is unusable after the fault: %s: %s", fault, vkattn_status_string(st), vkattn_context_error(ctx));
    }
    if (!st && want) CHECK(memcmp(gen, want, N_GEN * sizeof *gen) == 0, "%s: tokens %d %d %d %d differ", fault, gen[0], gen[1], gen[2], gen[3]);
    vkattn_model_destroy(m);
    CHECK(ctx->bytes_in_use == 0, "%s: %llu bytes of device memory still in use after the model is gone", fault,
          (unsigned long long)ctx->bytes_in_use);
    printf("%-10s %s%s\n", fault, first ? vkattn_status_string(first) : "absorbed (no error)", lost ? ", lost for good" : ", usable");
    return lost;
}

/* Arms ctx (white-box, as VKATTN_FAULT would) with its counts restarted. */
static void arm(vkattn_context *ctx, int kind, uint64_t n, int sticky) {
    memset(ctx->fault_calls, 0, sizeof ctx->fault_calls);
    ctx->fault_kind = kind, ctx->fault_at = n, ctx->fault_sticky = sticky;
}

/* N from 1 to count: the first, the last and about 5 between (each run costs a model load). */
static uint64_t next_n(uint64_t n, uint64_t count) {
    const uint64_t stride = count > 6 ? count / 5 : 1;
    return n == count ? n + 1 : n + stride > count ? count : n + stride;
}

int main(void) {
    if (!(model_data = demo_model_data(&model_size))) {
        printf("skipped: the demo model is not linked in this build\n");
        return 77;
    }
    const char *kinds[VKATTN__FAULT_KINDS] = {"alloc", "map", "submit", "wait"};
    int32_t want[N_GEN], gen[N_GEN];
    char fault[32];
    /* small blocks: the load and the generation each allocate device memory (the all-rows logits buffer,
     * 4 x 1793 floats, is then an oversized block of its own, returned when the model goes) */
    vkattn_context *ctx = th_context();
    ctx->block_size = 16 * 1024;
    vkattn_model *m = NULL;
    uint64_t base[VKATTN__FAULT_KINDS], load_allocs = 0;
    for (int i = 0; i < 2; i++) { /* the second time as every later run: on the blocks the first one left */
        arm(ctx, -1, 0, 0);
        CHECK_OK(ctx, vkattn_model_load_memory(ctx, model_data, model_size, &model_desc, &m));
        load_allocs = ctx->fault_calls[VKATTN__FAULT_ALLOC];
        CHECK_OK(ctx, scenario(ctx, &m, want));
        if (i == 0) vkattn_model_destroy(m), m = NULL;
    }
    vkattn_model_destroy(m);
    memcpy(base, ctx->fault_calls, sizeof base);
    printf("fault-free: tokens %d %d %d %d; calls: alloc %llu (load %llu), map %llu, submit %llu, wait %llu\n", want[0], want[1],
           want[2], want[3], (unsigned long long)base[0], (unsigned long long)load_allocs, (unsigned long long)base[1],
           (unsigned long long)base[2], (unsigned long long)base[3]);
    CHECK(base[0] > load_allocs && base[2] && base[3], "the scenario allocates nothing during generation, or never submits");
    /* alloc (persistent: out of memory stays out of memory), map, submit: the context stays usable */
    for (int k = VKATTN__FAULT_ALLOC; k <= VKATTN__FAULT_SUBMIT; k++) {
        int sticky = k == VKATTN__FAULT_ALLOC;
        for (uint64_t n = 1; n <= base[k]; n = next_n(n, base[k])) {
            snprintf(fault, sizeof fault, "%s:%llu%s", kinds[k], (unsigned long long)n, sticky ? "+" : "");
            arm(ctx, k, n, sticky);
            CHECK(!run(ctx, fault, want, gen), "%s: device lost", fault);
        }
        if (sticky) { /* the first allocation of the generation, after a successful load */
            snprintf(fault, sizeof fault, "alloc:%llu+", (unsigned long long)load_allocs + 1);
            arm(ctx, k, load_allocs + 1, 1);
            CHECK(!run(ctx, fault, want, gen), "%s: device lost", fault);
        }
    }
    char first[512];
    CHECK(vkattn_context_validation_messages(ctx, first, sizeof first) == 0, "validation: %s", first);
    vkattn_context_destroy(ctx);
    /* wait: the device is lost; each run needs a new context, armed through the environment */
    const uint64_t waits[3] = {1, base[VKATTN__FAULT_WAIT] / 2, base[VKATTN__FAULT_WAIT]};
    for (int i = 0; i < 3; i++) {
        snprintf(fault, sizeof fault, "wait:%llu", (unsigned long long)waits[i]);
        setenv("VKATTN_FAULT", fault, 1);
        ctx = th_context();
        CHECK(run(ctx, fault, want, gen), "%s: the device was not reported lost", fault);
        CHECK(vkattn_context_validation_messages(ctx, first, sizeof first) == 0, "%s: validation: %s", fault, first);
        vkattn_context_destroy(ctx);
    }
    /* a malformed switch is refused, not ignored */
    setenv("VKATTN_FAULT", "alloc:0", 1);
    ctx = NULL;
    vkattn_context_desc d = {0};
    CHECK_STATUS(NULL, vkattn_context_create(&d, &ctx), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(NULL), "VKATTN_FAULT=alloc:0"), "message: %s", vkattn_context_error(NULL));
    unsetenv("VKATTN_FAULT");
    return th_finish(NULL);
}
