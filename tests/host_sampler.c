/* Host-only: the sampler. Greedy = argmax; top-k 1 = greedy; seeded runs reproduce (and a golden sequence
 * pins the RNG across platforms); temperature -> 0 approaches greedy; top-k/top-p/min-p keep exactly the
 * right tokens and the empirical frequencies of the kept ones match the renormalized probabilities
 * (20000 draws, |freq - p| <= 0.02, more than 5 standard deviations); penalty math (llama.cpp's repeat,
 * frequency, presence) checked at decisive thresholds, by frequencies, and in 400 random cases against a double
 * reference of the formulas; a 152k vocabulary is timed. */
#include "harness.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define DRAWS 20000
#define FREQ_TOL 0.02

static vkattn_sampler *make(float temp, uint32_t top_k, float top_p, float min_p, uint64_t seed) {
    vkattn_sampler_desc d = {.seed = seed, .temperature = temp, .top_k = top_k, .top_p = top_p, .min_p = min_p};
    vkattn_sampler *s = NULL;
    CHECK_OK(NULL, vkattn_sampler_create(&d, &s));
    return s;
}

/* Draws DRAWS tokens from logits and compares the frequencies with want[] (exact zeros must stay zero). */
static void expect_freq(const char *what, vkattn_sampler *s, const float *logits, uint32_t n, const double *want) {
    int counts[16] = {0};
    for (int i = 0; i < DRAWS; i++) {
        int32_t t = -1;
        if (vkattn_sampler_sample(s, logits, n, &t) != VKATTN_OK || t < 0 || (uint32_t)t >= n) {
            CHECK(0, "%s: sample failed: %s", what, vkattn_context_error(NULL));
            return;
        }
        counts[t]++;
    }
    for (uint32_t k = 0; k < n; k++) {
        double f = (double)counts[k] / DRAWS;
        CHECK(want[k] == 0 ? counts[k] == 0 : fabs(f - want[k]) <= FREQ_TOL, "%s: token %u drawn %.4f, want %.4f", what, k,
              f, want[k]);
    }
    vkattn_sampler_destroy(s);
}

static void test_greedy(void) {
    float logits[1000];
    th_seed(1);
    vkattn_sampler *g = make(0, 0, 0, 0, 1), *k1 = make(1.0f, 1, 0, 0, 7);
    int bad = 0;
    for (int it = 0; it < 100; it++) {
        th_fill_uniform(logits, 1000, -10, 10);
        uint32_t best = 0;
        for (uint32_t i = 1; i < 1000; i++) best = logits[i] > logits[best] ? i : best;
        int32_t a = -1, b = -1;
        CHECK_OK(NULL, vkattn_sampler_sample(g, logits, 1000, &a));
        CHECK_OK(NULL, vkattn_sampler_sample(k1, logits, 1000, &b));
        bad += a != (int32_t)best || b != (int32_t)best;
    }
    CHECK(bad == 0, "greedy / top-k 1 missed the argmax %d of 100 times", bad);
    float tie[4] = {1, 3, 3, 2};
    int32_t t = -1;
    CHECK_OK(NULL, vkattn_sampler_sample(g, tie, 4, &t));
    CHECK(t == 1, "greedy tie goes to the lowest id (%d)", t);
    float masked[3] = {-INFINITY, -INFINITY, -5};
    CHECK_OK(NULL, vkattn_sampler_sample(g, masked, 3, &t));
    CHECK(t == 2, "greedy skips -inf (%d)", t);
    vkattn_sampler_destroy(g);
    vkattn_sampler_destroy(k1);
}

static void test_reproducible(void) {
    float logits[500];
    th_seed(2);
    th_fill_uniform(logits, 500, -3, 3);
    vkattn_sampler *a = make(1.0f, 0, 0, 0, 42), *b = make(1.0f, 0, 0, 0, 42), *c = make(1.0f, 0, 0, 0, 43);
    int32_t seq[200], x, y, z;
    int differ_ab = 0, differ_ac = 0;
    for (int i = 0; i < 200; i++) {
        vkattn_sampler_sample(a, logits, 500, &x);
        vkattn_sampler_sample(b, logits, 500, &y);
        vkattn_sampler_sample(c, logits, 500, &z);
        seq[i] = x;
        differ_ab += x != y;
        differ_ac += x != z;
    }
    CHECK(differ_ab == 0, "same seed, %d different draws", differ_ab);
    CHECK(differ_ac > 100, "different seeds, only %d of 200 draws differ", differ_ac);
    vkattn_sampler_reset(a);
    int differ_reset = 0;
    for (int i = 0; i < 200; i++) {
        vkattn_sampler_sample(a, logits, 500, &x);
        differ_reset += x != seq[i];
    }
    CHECK(differ_reset == 0, "reset does not restart the sequence (%d differ)", differ_reset);

    /* golden: equal logits make every draw floor(u * V) of the RNG alone: the same on every platform. The
     * values come from a Python transcription of splitmix64 + xoshiro256** (u = (next >> 11) * 2^-53). */
    static const int32_t golden[8] = {83, 378, 680, 924, 991, 769, 719, 850};
    float flat[1000] = {0};
    vkattn_sampler *g = make(1.0f, 0, 0, 0, 42);
    int32_t got[8];
    for (int i = 0; i < 8; i++) vkattn_sampler_sample(g, flat, 1000, &got[i]);
    CHECK(memcmp(got, golden, sizeof golden) == 0, "seed 42 sequence: %d %d %d %d %d %d %d %d", got[0], got[1], got[2],
          got[3], got[4], got[5], got[6], got[7]);
    vkattn_sampler_destroy(g);
    vkattn_sampler_destroy(a);
    vkattn_sampler_destroy(b);
    vkattn_sampler_destroy(c);
}

static void test_filters(void) {
    /* p = 0.5 0.3 0.15 0.05 */
    float l[4] = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
    expect_freq("temperature 1", make(1, 0, 0, 0, 1), l, 4, (double[]){0.5, 0.3, 0.15, 0.05});
    expect_freq("top-k 2", make(1, 2, 0, 0, 2), l, 4, (double[]){0.625, 0.375, 0, 0});
    expect_freq("top-p 0.75", make(1, 0, 0.75f, 0, 3), l, 4, (double[]){0.625, 0.375, 0, 0});
    expect_freq("top-p 0.85", make(1, 0, 0.85f, 0, 4), l, 4, (double[]){0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0});
    expect_freq("top-p 0.4", make(1, 0, 0.4f, 0, 5), l, 4, (double[]){1, 0, 0, 0});
    expect_freq("min-p 0.25", make(1, 0, 0, 0.25f, 6), l, 4, (double[]){0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0});
    expect_freq("min-p 0.5", make(1, 0, 0, 0.5f, 7), l, 4, (double[]){0.625, 0.375, 0, 0});
    /* top-k 3 (0.526 0.316 0.158), top-p 0.9 keeps all three, min-p 0.4 drops the third */
    expect_freq("top-k 3 + top-p 0.9 + min-p 0.4", make(1, 3, 0.9f, 0.4f, 8), l, 4, (double[]){0.625, 0.375, 0, 0});
    /* temperature after the filters: p^(1/2) of the two kept */
    double a = sqrt(0.5), b = sqrt(0.3);
    expect_freq("top-k 2 + temperature 2", make(2, 2, 0, 0, 9), l, 4, (double[]){a / (a + b), b / (a + b), 0, 0});
    /* top-p sees the untempered distribution (llama.cpp's order): still {0, 1} at temperature 2 */
    expect_freq("top-p 0.75 + temperature 2", make(2, 0, 0.75f, 0, 13), l, 4, (double[]){a / (a + b), b / (a + b), 0, 0});
    expect_freq("temperature 0.001", make(0.001f, 0, 0, 0, 10), l, 4, (double[]){1, 0, 0, 0});
    float gap[3] = {1.0f, 0.9f, 0.0f}; /* temperature -> 0 approaches greedy even for a small gap */
    expect_freq("temperature 0.005, gap 0.1", make(0.005f, 0, 0, 0, 11), gap, 3, (double[]){1, 0, 0});
    float masked[4] = {0, -INFINITY, 0, -INFINITY};
    expect_freq("-inf never drawn", make(1, 0, 0, 0, 12), masked, 4, (double[]){0.5, 0, 0.5, 0});
}

/* top-p over a whole 152k vocabulary (no top-k): every draw inside the nucleus computed by sorting. */
static int cmp_desc(const void *x, const void *y) {
    float a = *(const float *)x, b = *(const float *)y;
    return (a < b) - (a > b);
}

static void test_large_nucleus(void) {
    const uint32_t V = 152064;
    float *logits = th_alloc(V), *sorted = th_alloc(V);
    th_seed(3);
    th_fill_uniform(logits, V, -4, 4);
    for (int i = 0; i < 5; i++) logits[1000 * i + 7] = 9.0f; /* a few strong tokens */
    double sum = 0, mx = 9.0;
    for (uint32_t i = 0; i < V; i++) sum += exp(logits[i] - mx);
    memcpy(sorted, logits, V * sizeof *sorted);
    qsort(sorted, V, sizeof *sorted, cmp_desc);
    double acc = 0;
    uint32_t m = 0;
    while (acc < 0.9 * sum) acc += exp(sorted[m++] - mx);
    float threshold = sorted[m - 1]; /* the nucleus: logits >= threshold */
    vkattn_sampler *s = make(1, 0, 0.9f, 0, 5);
    int outside = 0, strong = 0;
    const int draws = 400;
    for (int i = 0; i < draws; i++) {
        int32_t t = -1;
        CHECK_OK(NULL, vkattn_sampler_sample(s, logits, V, &t));
        if (t < 0 || logits[t] < threshold) outside++;
        strong += t >= 0 && logits[t] == 9.0f;
    }
    CHECK(outside == 0, "%d of %d draws outside the top-p 0.9 nucleus (%u tokens)", outside, draws, m);
    double p_strong = 5 / acc, f = (double)strong / draws; /* renormalized over the nucleus; sd ~0.01 */
    CHECK(fabs(f - p_strong) <= 0.03, "strong tokens drawn %.3f, want %.3f", f, p_strong);
    vkattn_sampler_destroy(s);
    free(logits);
    free(sorted);
}

static vkattn_sampler *penalized(float repeat, float freq, float presence, uint32_t last_n, float temp) {
    vkattn_sampler_desc d = {.temperature = temp, .repeat_penalty = repeat, .frequency_penalty = freq,
                             .presence_penalty = presence, .penalty_last_n = last_n, .seed = 3};
    vkattn_sampler *s = NULL;
    CHECK_OK(NULL, vkattn_sampler_create(&d, &s));
    return s;
}

static int32_t greedy_after(vkattn_sampler *s, const float *logits, uint32_t n, const int32_t *hist, int n_hist) {
    for (int i = 0; i < n_hist; i++) CHECK_OK(NULL, vkattn_sampler_accept(s, hist[i]));
    int32_t t = -1;
    CHECK_OK(NULL, vkattn_sampler_sample(s, logits, n, &t));
    vkattn_sampler_destroy(s);
    return t;
}

static void test_penalties(void) {
    float pos[3] = {3.0f, 2.5f, 0.0f}, neg[3] = {-1.0f, -1.5f, -9.0f};
    /* repeat: 3 / 2 = 1.5 < 2.5 */
    CHECK(greedy_after(penalized(2, 0, 0, 64, 0), pos, 3, (int32_t[]){0}, 1) == 1, "repeat penalty divides a positive logit");
    /* negative: -1 * 2 = -2 < -1.5 */
    CHECK(greedy_after(penalized(2, 0, 0, 64, 0), neg, 3, (int32_t[]){0}, 1) == 1, "repeat penalty multiplies a negative logit");
    /* once per distinct token: 3 / 1.1 = 2.73 > 2.5 (three times would be 2.25) */
    CHECK(greedy_after(penalized(1.1f, 0, 0, 64, 0), pos, 3, (int32_t[]){0, 0, 0}, 3) == 0, "repeat applies once per token");
    /* frequency: 3 - 2 * 0.3 = 2.4 < 2.5, one occurrence 2.7 > 2.5 */
    CHECK(greedy_after(penalized(1, 0.3f, 0, 64, 0), pos, 3, (int32_t[]){0, 0}, 2) == 1, "frequency penalty x count");
    CHECK(greedy_after(penalized(1, 0.3f, 0, 64, 0), pos, 3, (int32_t[]){0}, 1) == 0, "frequency penalty x 1");
    /* presence: 3 - 0.6 = 2.4 whatever the count */
    CHECK(greedy_after(penalized(1, 0, 0.6f, 64, 0), pos, 3, (int32_t[]){0}, 1) == 1, "presence penalty");
    /* window: token 0 slid out of the last 2 */
    CHECK(greedy_after(penalized(2, 0, 0, 2, 0), pos, 3, (int32_t[]){0, 2, 2}, 3) == 0, "window of penalty_last_n");
    CHECK(greedy_after(penalized(2, 0, 0, 0, 0), pos, 3, (int32_t[]){0}, 1) == 0, "penalty_last_n 0: off");
    /* tokens past n_vocab in the window are ignored */
    CHECK(greedy_after(penalized(2, 0, 0, 8, 0), pos, 3, (int32_t[]){7, 1000}, 2) == 0, "out-of-vocabulary history");
    /* exact math through frequencies: logits {1, 1}, token 0 penalized by 2 -> 0.5: p0 = 1 / (1 + e^0.5) */
    vkattn_sampler *s = penalized(2, 0, 0, 64, 1);
    CHECK_OK(NULL, vkattn_sampler_accept(s, 0));
    double p0 = 1 / (1 + exp(0.5));
    expect_freq("repeat penalty distribution", s, (float[]){1, 1}, 2, (double[]){p0, 1 - p0});
}

/* The penalties against a double reference of llama.cpp's formulas (llama_sampler_penalties_apply): a token
 * that occurs count > 0 times among the last penalty_last_n accepted gets
 *     logit' = (logit <= 0 ? logit * repeat : logit / repeat) - (count * frequency + presence).
 * 400 random cases: vocabulary 24, logits in [-3, 3] with exact zeros, histories of 0..79 tokens drawn from the
 * first 12 ids (so counts reach several), windows 1, 3, 8, 64, repeat 1, 0.7, 1.3, 2, frequency and presence in
 * [-1, 1]. The sampler's ranking of the penalized logits is read by greedy sampling with each winner masked in
 * turn (-inf stays -inf under every penalty); it must never put a token above one whose reference value is larger
 * by more than 1e-4. A wrong sign, a penalty applied per occurrence or a window off by one breaks that. */
static void test_penalty_reference(void) {
    enum { V = 24, HIST = 80 };
    static const float repeats[] = {1.0f, 0.7f, 1.3f, 2.0f};
    static const uint32_t windows[] = {1, 3, 8, 64};
    th_seed(11);
    int bad = 0;
    double worst = 0;
    for (int it = 0; it < 400; it++) {
        float logits[V];
        th_fill_uniform(logits, V, -3, 3);
        for (int k = 0; k < 3; k++) logits[(int)th_uniform(0, V - 0.01f)] = 0; /* the edge of the <= 0 branch */
        const float rp = repeats[it % 4], fp = th_uniform(-1, 1), pp = th_uniform(-1, 1);
        const uint32_t last_n = windows[(it / 4) % 4];
        const int n_hist = (int)th_uniform(0, HIST - 0.01f);
        int32_t hist[HIST];
        int count[V] = {0};
        for (int k = 0; k < n_hist; k++) hist[k] = (int32_t)th_uniform(0, 11.99f);
        for (int k = n_hist > (int)last_n ? n_hist - (int)last_n : 0; k < n_hist; k++) count[hist[k]]++;
        double ref[V];
        for (int t = 0; t < V; t++) {
            double x = logits[t];
            ref[t] = count[t] ? (x <= 0 ? x * rp : x / rp) - (count[t] * (double)fp + pp) : x;
        }
        vkattn_sampler *s = penalized(rp, fp, pp, last_n, 0);
        for (int k = 0; k < n_hist; k++) CHECK_OK(NULL, vkattn_sampler_accept(s, hist[k]));
        float masked[V];
        memcpy(masked, logits, sizeof masked);
        int32_t prev = -1;
        for (int j = 0; j < V; j++) {
            int32_t t = -1;
            if (vkattn_sampler_sample(s, masked, V, &t) != VKATTN_OK || t < 0 || t >= V || masked[t] == -INFINITY) {
                CHECK(0, "case %d: greedy pick %d failed: %s", it, j, vkattn_context_error(NULL));
                break;
            }
            masked[t] = -INFINITY;
            if (prev >= 0 && ref[t] - ref[prev] > worst) worst = ref[t] - ref[prev];
            if (prev >= 0 && ref[t] > ref[prev] + 1e-4) {
                if (bad++ < 5)
                    printf("case %d (repeat %g, frequency %g, presence %g, window %u, %d accepted): token %d (reference "
                           "%.6f) ranked below token %d (%.6f)\n", it, rp, fp, pp, last_n, n_hist, prev, ref[prev], t, ref[t]);
            }
            prev = t;
        }
        vkattn_sampler_destroy(s);
    }
    CHECK(bad == 0, "penalized ranking differs from the double reference %d times (worst inversion %.3g)", bad, worst);
    printf("penalties vs double reference: 400 cases x 24 ranks, worst inversion %.3g (tol 1e-4)\n", worst);
}

static void test_errors(void) {
    vkattn_sampler *s = (vkattn_sampler *)1;
    vkattn_sampler_desc d;
    vkattn_sampler_desc_default(&d);
    CHECK(d.temperature == 0.8f && d.top_k == 40 && d.top_p == 0.95f && d.min_p == 0.05f && d.penalty_last_n == 64,
          "llama.cpp's defaults");
    CHECK_STATUS(NULL, vkattn_sampler_create(NULL, &s), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(s == NULL, "*out = NULL on failure");
    d.temperature = NAN;
    CHECK_STATUS(NULL, vkattn_sampler_create(&d, &s), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(NULL), "temperature") != NULL, "names the parameter: %s", vkattn_context_error(NULL));
    d.temperature = 1;
    d.top_p = -0.5f;
    CHECK_STATUS(NULL, vkattn_sampler_create(&d, &s), VKATTN_ERROR_INVALID_ARGUMENT);
    d.top_p = 0.9f;
    d.min_p = 2;
    CHECK_STATUS(NULL, vkattn_sampler_create(&d, &s), VKATTN_ERROR_INVALID_ARGUMENT);
    d.min_p = 0.1f;
    d.repeat_penalty = -1;
    CHECK_STATUS(NULL, vkattn_sampler_create(&d, &s), VKATTN_ERROR_INVALID_ARGUMENT);
    d.repeat_penalty = 1.1f;
    CHECK_OK(NULL, vkattn_sampler_create(&d, &s));
    int32_t t = 0;
    float ok[3] = {0, 1, 2}, nan_l[3] = {0, NAN, 2}, inf_l[3] = {0, INFINITY, 2}, dead[2] = {-INFINITY, -INFINITY};
    CHECK_STATUS(NULL, vkattn_sampler_sample(s, nan_l, 3, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(strstr(vkattn_context_error(NULL), "logits[1] is NaN") != NULL, "message: %s", vkattn_context_error(NULL));
    CHECK_STATUS(NULL, vkattn_sampler_sample(s, inf_l, 3, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_sampler_sample(s, dead, 2, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_sampler_sample(s, ok, 0, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_sampler_sample(s, NULL, 3, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_sampler_sample(s, ok, 3, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_sampler_accept(s, -3), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_OK(NULL, vkattn_sampler_sample(s, ok, 3, &t));
    vkattn_sampler_destroy(s);
    vkattn_sampler_destroy(NULL);
}

static void test_speed(void) {
    const uint32_t V = 152064;
    float *logits = th_alloc(V);
    th_seed(4);
    th_fill_uniform(logits, V, -10, 10);
    static const struct { const char *name; float temp; uint32_t k; float p, min_p; } cfg[] = {
        {"greedy", 0, 0, 0, 0}, {"temperature only", 0.8f, 0, 0, 0}, {"top-k 40 / top-p 0.95 / min-p 0.05", 0.8f, 40, 0.95f, 0.05f},
        {"top-p 0.95 (no top-k)", 0.8f, 0, 0.95f, 0}, {"top-k 1000", 0.8f, 1000, 0, 0}};
    for (size_t c = 0; c < N_OF(cfg); c++) {
        vkattn_sampler_desc d = {.seed = 1, .temperature = cfg[c].temp, .top_k = cfg[c].k, .top_p = cfg[c].p,
                                 .min_p = cfg[c].min_p, .repeat_penalty = 1.1f, .penalty_last_n = 64};
        vkattn_sampler *s = NULL;
        CHECK_OK(NULL, vkattn_sampler_create(&d, &s));
        for (int i = 0; i < 64; i++) vkattn_sampler_accept(s, i * 97);
        const int reps = 50;
        int32_t t;
        clock_t c0 = clock();
        for (int i = 0; i < reps; i++) vkattn_sampler_sample(s, logits, V, &t);
        double ms = 1000.0 * (double)(clock() - c0) / CLOCKS_PER_SEC / reps;
        printf("sample, V = %u, %-36s %.3f ms\n", V, cfg[c].name, ms);
        CHECK(ms < 50, "%s: %.1f ms per sample", cfg[c].name, ms); /* generous: sanitizer builds, shared cores */
        vkattn_sampler_destroy(s);
    }
    free(logits);
}

int main(void) {
    test_greedy();
    test_reproducible();
    test_filters();
    test_large_nucleus();
    test_penalties();
    test_penalty_reference();
    test_errors();
    test_speed();
    return th_finish(NULL);
}
