/* Host-side token sampling on one row of logits, as llama.cpp's default sampler chain:
 * penalties -> top-k -> top-p -> min-p -> temperature -> draw.
 *
 * Cost per sample for a vocabulary of V: one O(V) pass to gather candidates (-inf masked out), penalties
 * O(N log N) over the window, top-k by a size-k heap (O(V log k)), top-p by a quickselect on probability
 * mass (expected O(n), no full sort), min-p and the draw O(n). The RNG is xoshiro256** seeded by splitmix64:
 * the same seed draws the same numbers everywhere. Sums are in double. */
#include "base/base.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, __VA_ARGS__)

typedef struct cand {
    float logit;
    float w; /* exp(logit - max) while filtering by probability */
    int32_t id;
} cand;

struct vkattn_sampler {
    vkattn_sampler_desc d;
    uint64_t rng[4];
    int32_t *hist;      /* ring buffer of the last penalty_last_n accepted tokens */
    uint32_t hist_n, hist_pos;
    int32_t *sorted;    /* scratch: the window sorted */
    cand *c;
    size_t cap;
};

/* ---- RNG --------------------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(uint64_t s[4]) { /* xoshiro256** */
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static double uniform01(uint64_t s[4]) { return (double)(next_u64(s) >> 11) * 0x1.0p-53; } /* [0, 1) */

/* ---- lifetime ---------------------------------------------------------------------------------- */

void vkattn_sampler_desc_default(vkattn_sampler_desc *d) {
    if (!d) return;
    *d = (vkattn_sampler_desc){.seed = 0, .temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
                               .repeat_penalty = 1.0f, .penalty_last_n = 64};
}

void vkattn_sampler_reset(vkattn_sampler *s) {
    if (!s) return;
    uint64_t x = s->d.seed;
    for (int i = 0; i < 4; i++) s->rng[i] = splitmix64(&x);
    s->hist_n = s->hist_pos = 0;
}

vkattn_status vkattn_sampler_create(const vkattn_sampler_desc *desc, vkattn_sampler **out) {
    if (!out) return FAIL("vkattn_sampler_create: out is NULL");
    *out = NULL;
    if (!desc) return FAIL("vkattn_sampler_create: desc is NULL");
    const struct { const char *name; float v; } params[] = {
        {"temperature", desc->temperature}, {"top_p", desc->top_p}, {"min_p", desc->min_p},
        {"repeat_penalty", desc->repeat_penalty}, {"frequency_penalty", desc->frequency_penalty},
        {"presence_penalty", desc->presence_penalty}};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (!isfinite(params[i].v)) return FAIL("sampler: %s is %g (must be finite)", params[i].name, params[i].v);
    if (desc->top_p < 0) return FAIL("sampler: top_p is %g (0..1; 0 or >= 1 = off)", desc->top_p);
    if (desc->min_p < 0 || desc->min_p > 1) return FAIL("sampler: min_p is %g (0..1; 0 = off)", desc->min_p);
    if (desc->repeat_penalty < 0) return FAIL("sampler: repeat_penalty is %g (> 0; 1 = off)", desc->repeat_penalty);
    if (desc->penalty_last_n > (1u << 24)) return FAIL("sampler: penalty_last_n %u is too large", desc->penalty_last_n);
    vkattn_sampler *s = calloc(1, sizeof *s);
    if (s && desc->penalty_last_n) {
        s->hist = malloc(desc->penalty_last_n * sizeof *s->hist);
        s->sorted = malloc(desc->penalty_last_n * sizeof *s->sorted);
    }
    if (!s || (desc->penalty_last_n && (!s->hist || !s->sorted))) {
        if (s) free(s->hist), free(s->sorted), free(s);
        return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "sampler: out of host memory");
    }
    s->d = *desc;
    vkattn_sampler_reset(s);
    *out = s;
    return VKATTN_OK;
}

void vkattn_sampler_destroy(vkattn_sampler *s) {
    if (!s) return;
    free(s->hist);
    free(s->sorted);
    free(s->c);
    free(s);
}

vkattn_status vkattn_sampler_accept(vkattn_sampler *s, int32_t token) {
    if (!s) return FAIL("vkattn_sampler_accept: s is NULL");
    if (token < 0) return FAIL("vkattn_sampler_accept: token %d is negative", token);
    uint32_t n = s->d.penalty_last_n;
    if (!n) return VKATTN_OK;
    s->hist[s->hist_pos] = token;
    s->hist_pos = (s->hist_pos + 1) % n;
    if (s->hist_n < n) s->hist_n++;
    return VKATTN_OK;
}

/* ---- the chain --------------------------------------------------------------------------------- */

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Penalties on c[] indexed by token id (all V candidates still present). */
static void penalize(vkattn_sampler *s, cand *c, uint32_t n_vocab) {
    float rp = s->d.repeat_penalty, fp = s->d.frequency_penalty, pp = s->d.presence_penalty;
    int repeat = rp != 0 && rp != 1;
    if (!s->hist_n || (!repeat && fp == 0 && pp == 0)) return;
    memcpy(s->sorted, s->hist, s->hist_n * sizeof *s->sorted);
    qsort(s->sorted, s->hist_n, sizeof *s->sorted, cmp_i32);
    for (uint32_t i = 0; i < s->hist_n;) {
        int32_t t = s->sorted[i];
        uint32_t count = 0;
        while (i < s->hist_n && s->sorted[i] == t) i++, count++;
        if ((uint32_t)t >= n_vocab) continue;
        float x = c[t].logit;
        if (repeat) x = x <= 0 ? x * rp : x / rp;
        c[t].logit = x - ((float)count * fp + pp); /* one rounding, as llama.cpp */
    }
}

/* "a ranks above b": higher logit, ties to the lower id (deterministic). */
static int above(const cand *a, const cand *b) { return a->logit > b->logit || (a->logit == b->logit && a->id < b->id); }

/* Keeps the k best of c[0..n) in c[0..k) (a min-heap of the best so far; O(n log k)). */
static size_t top_k(cand *c, size_t n, size_t k) {
    if (k == 0 || k >= n) return n;
    for (size_t i = 0; i < n; i++) {
        size_t pos;
        cand x = c[i];
        if (i < k) { /* sift up */
            for (pos = i; pos > 0 && above(&c[(pos - 1) / 2], &x); pos = (pos - 1) / 2) c[pos] = c[(pos - 1) / 2];
        } else {
            if (!above(&x, &c[0])) continue;
            for (pos = 0;;) { /* replace the worst, sift down */
                size_t ch = 2 * pos + 1;
                if (ch >= k) break;
                if (ch + 1 < k && above(&c[ch], &c[ch + 1])) ch++;
                if (!above(&x, &c[ch])) break;
                c[pos] = c[ch];
                pos = ch;
            }
        }
        c[pos] = x;
    }
    return k;
}

static void swap(cand *a, cand *b) {
    cand t = *a;
    *a = *b;
    *b = t;
}

static float median3(float a, float b, float c) {
    return a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
}

/* Smallest m such that the m largest weights of c[0..n) sum to >= target, moved to c[0..m). Quickselect on
 * mass with three-way partitions: expected O(n). */
static size_t nucleus(cand *c, size_t n, double target) {
    size_t lo = 0, hi = n;
    double mass = 0; /* of c[0..lo), all above everything in c[lo..) */
    while (lo < hi) {
        float pv = median3(c[lo].w, c[lo + (hi - lo) / 2].w, c[hi - 1].w);
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (c[i].w > pv) swap(&c[lt++], &c[i++]);
            else if (c[i].w < pv) swap(&c[i], &c[--gt]);
            else i++;
        }
        double m_gt = 0, m_eq = 0;
        for (size_t j = lo; j < lt; j++) m_gt += c[j].w;
        if (mass + m_gt >= target) { /* the boundary is among the larger ones */
            hi = lt;
            continue;
        }
        for (size_t j = lt; j < gt; j++) m_eq += c[j].w;
        if (mass + m_gt + m_eq >= target) {
            double m = mass + m_gt;
            size_t k = lt;
            while (k < gt && m < target) m += c[k++].w;
            return k;
        }
        mass += m_gt + m_eq;
        lo = gt;
    }
    return lo;
}

/* Sets w = exp((logit - max) / temp) for c[0..n); returns the sum. */
static double weights(cand *c, size_t n, float temp) {
    float mx = c[0].logit;
    for (size_t i = 1; i < n; i++) mx = c[i].logit > mx ? c[i].logit : mx;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += c[i].w = expf((c[i].logit - mx) / temp);
    return sum;
}

vkattn_status vkattn_sampler_sample(vkattn_sampler *s, const float *logits, uint32_t n_vocab, int32_t *token) {
    if (!s || !logits || !token)
        return FAIL("vkattn_sampler_sample: %s is NULL", !s ? "s" : !logits ? "logits" : "token");
    if (n_vocab == 0 || n_vocab > INT32_MAX) return FAIL("vkattn_sampler_sample: n_vocab is %u", n_vocab);
    if (n_vocab > s->cap) {
        cand *c = realloc(s->c, (size_t)n_vocab * sizeof *c);
        if (!c) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "sampler: out of host memory");
        s->c = c;
        s->cap = n_vocab;
    }
    cand *c = s->c;
    for (uint32_t i = 0; i < n_vocab; i++) {
        float x = logits[i];
        if (isnan(x) || x == INFINITY)
            return FAIL("vkattn_sampler_sample: logits[%u] is %s (NaN/+inf: check the model's output)", i,
                        isnan(x) ? "NaN" : "+inf");
        c[i] = (cand){x, 0, (int32_t)i};
    }
    penalize(s, c, n_vocab);
    size_t n = 0;
    for (uint32_t i = 0; i < n_vocab; i++)
        if (c[i].logit != -INFINITY && !isnan(c[i].logit)) c[n++] = c[i];
    if (!n) return FAIL("vkattn_sampler_sample: every logit is -inf (no token can be drawn)");

    if (s->d.temperature <= 0) { /* greedy */
        size_t best = 0;
        for (size_t i = 1; i < n; i++) best = above(&c[i], &c[best]) ? i : best;
        *token = c[best].id;
        return VKATTN_OK;
    }
    n = top_k(c, n, s->d.top_k);
    if (s->d.top_p > 0 && s->d.top_p < 1 && n > 1) n = nucleus(c, n, s->d.top_p * weights(c, n, 1.0f));
    if (s->d.min_p > 0 && n > 1) { /* p >= min_p * p_max  <=>  logit >= max + log(min_p) */
        float mx = c[0].logit;
        for (size_t i = 1; i < n; i++) mx = c[i].logit > mx ? c[i].logit : mx;
        float thr = mx + logf(s->d.min_p);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (c[i].logit >= thr) c[m++] = c[i];
        n = m; /* the max always passes */
    }
    double sum = weights(c, n, s->d.temperature);
    double u = uniform01(s->rng) * sum, acc = 0;
    size_t pick = n - 1;
    for (size_t i = 0; i < n; i++) {
        acc += c[i].w;
        if (u < acc) {
            pick = i;
            break;
        }
    }
    while (pick > 0 && c[pick].w == 0) pick--; /* rounding at the very end: never return a zero-weight token */
    *token = c[pick].id;
    return VKATTN_OK;
}
