/* RoPE frequency scaling as llama.cpp applies it (ggml_rope_ext with freq_factors, rope_yarn), reduced to one
 * frequency per rotated pair and one attention factor, which vkattn_rope (inv_freq) and the attention scale
 * take:
 *   base[i]   = theta^(-2i/R) / factor[i]         factor: rope_freqs.weight (Llama 3.1/3.2: the converter bakes
 *                                                 rope_scaling "llama3" into it), phi3's rope_factors_long/short
 *   interp[i] = freq_scale * base[i]              freq_scale = 1 / rope.scaling.factor (linear, yarn)
 *   yarn:     inv_freq[i] = interp (1 - ramp[i]) + base ramp[i], ramp from the correction dims of beta_fast /
 *             beta_slow over rope.scaling.original_context_length; cos and sin scaled by mscale = attn_factor *
 *             (1 + 0.1 ln(1 / freq_scale))
 *   otherwise inv_freq[i] = interp[i]; mscale = rope.scaling.attn_factor (phi3 LongRoPE), default 1.
 * All of it is linear in the position, so an angle is still pos * inv_freq[i]; mscale on both q and k is
 * mscale^2 on q.k, folded into the attention scale (so only when every dim rotates). */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ggml_rope_yarn_corr_dim: the dim whose wavelength makes n_rot turns over the original context */
static double corr_dim(double R, double n_ctx_orig, double n_rot, double base) {
    return R * log(n_ctx_orig / (n_rot * 6.283185307179586)) / (2 * log(base));
}

static vkattn_status scaling_type(vkattn_model *m, int *yarn) {
    char key[96];
    const char *type = "none";
    snprintf(key, sizeof key, "%s.rope.scaling.type", m->arch_name);
    *yarn = 0;
    if (vkattn_gguf_find_key(m->gguf, key) >= 0 && vkattn_gguf_get_string(m->gguf, key, &type, NULL))
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: %s must be a string", key);
    if (strcmp(type, "yarn") == 0) *yarn = 1;
    else if (strcmp(type, "none") && strcmp(type, "linear") && strcmp(type, "longrope"))
        return vkattn__fail(m->ctx, VKATTN_ERROR_UNSUPPORTED,
                            "model: %s \"%.40s\" is not supported (supported: none, linear, yarn, longrope)", key, type);
    return VKATTN_OK;
}

/* The frequency factors tensor hp.rope_factors (f32 [R/2]) into ff, or ff untouched when absent. */
static vkattn_status read_factors(vkattn_model *m, double *ff, int *present) {
    const uint32_t half = m->hp.rope_dims / 2;
    vkattn_gguf_tensor t;
    *present = 0;
    if (!m->hp.rope_factors || vkattn_gguf_find_tensor(m->gguf, m->hp.rope_factors, &t) != VKATTN_OK) return VKATTN_OK;
    if (t.ggml_type != 0 || t.ndim != 1 || t.shape[0] != half)
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: tensor %s must be F32 [%u] (rope.dimension_count / 2), is %s [%lld%s]",
                            m->hp.rope_factors, half, t.type_name, (long long)t.shape[0], t.ndim > 1 ? ", ..." : "");
    for (uint32_t i = 0; i < half; i++) {
        float f;
        memcpy(&f, (const uint8_t *)t.data + 4 * i, 4);
        if (!(f > 0) || !isfinite(f))
            return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT, "model: %s[%u] = %g is not a positive frequency factor",
                                m->hp.rope_factors, i, (double)f);
        ff[i] = f;
    }
    *present = 1;
    return VKATTN_OK;
}

vkattn_status vkattn__rope_freqs(vkattn_model *m) {
    vkattn__hparams *h = &m->hp;
    if (h->rope_mode < 0) return VKATTN_OK;
    const uint32_t R = h->rope_dims, half = R / 2;
    float factor, linear, attn_factor, ext, beta_fast, beta_slow;
    uint32_t n_orig;
    int yarn, have_ff;
    vkattn_status st;
    if ((st = scaling_type(m, &yarn)) || (st = vkattn__hp_f32(m, "rope.scaling.factor", &factor, 0, 0)) ||
        (st = vkattn__hp_f32(m, "rope.scale_linear", &linear, 0, 0)) || /* older files */
        (st = vkattn__hp_f32(m, "rope.scaling.attn_factor", &attn_factor, 0, 1)) ||
        (st = vkattn__hp_f32(m, "rope.scaling.yarn_ext_factor", &ext, 0, -1)) ||
        (st = vkattn__hp_f32(m, "rope.scaling.yarn_beta_fast", &beta_fast, 0, 32)) ||
        (st = vkattn__hp_f32(m, "rope.scaling.yarn_beta_slow", &beta_slow, 0, 1)) ||
        (st = vkattn__hp_u32(m, "rope.scaling.original_context_length", &n_orig, 0, h->n_ctx_train)))
        return st;
    if (factor == 0) factor = linear;
    if (!(factor >= 0) || !isfinite(factor) || !(attn_factor > 0) || !isfinite(attn_factor) || !isfinite(ext) || !n_orig)
        return vkattn__fail(m->ctx, VKATTN_ERROR_FORMAT,
                            "model: %s.rope.scaling.factor %g, attn_factor %g, yarn_ext_factor %g or original_context_length %u "
                            "out of range", m->arch_name, (double)factor, (double)attn_factor, (double)ext, n_orig);
    const double freq_scale = factor > 0 ? 1.0 / factor : 1.0;
    if (ext < 0) ext = yarn ? 1.0f : 0.0f; /* llama.cpp's default: YaRN's ramp only for yarn */
    double *ff = malloc(half * sizeof *ff);
    if (!ff) return vkattn__fail(m->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
    for (uint32_t i = 0; i < half; i++) ff[i] = 1.0;
    if ((st = read_factors(m, ff, &have_ff))) {
        free(ff);
        return st;
    }
    double mscale = attn_factor;
    if (have_ff || freq_scale != 1.0 || ext != 0) {
        double lo = 0, hi = 0;
        if (ext != 0) {
            lo = floor(corr_dim(R, n_orig, beta_fast, h->rope_theta));
            hi = ceil(corr_dim(R, n_orig, beta_slow, h->rope_theta));
            lo = lo < 0 ? 0 : lo;
            hi = hi > R - 1 ? R - 1 : hi;
            mscale *= 1.0 + 0.1 * log(1.0 / freq_scale);
        }
        if (!(h->rope_inv_freq = malloc(half * sizeof *h->rope_inv_freq))) {
            free(ff);
            return vkattn__fail(m->ctx, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "model: out of host memory");
        }
        for (uint32_t i = 0; i < half; i++) {
            double base = pow(h->rope_theta, -2.0 * i / R) / ff[i], f = freq_scale * base;
            if (ext != 0) { /* rope_yarn_ramp */
                double y = (i - lo) / (hi - lo > 0.001 ? hi - lo : 0.001);
                double mix = (1.0 - (y < 0 ? 0 : y > 1 ? 1 : y)) * ext;
                f = f * (1 - mix) + base * mix;
            }
            h->rope_inv_freq[i] = (float)f;
        }
    }
    free(ff);
    if (mscale != 1.0) {
        if (R != h->head_dim)
            return vkattn__fail(m->ctx, VKATTN_ERROR_UNSUPPORTED,
                                "model: a RoPE attention factor (%g) with partial rotation (%u of %u dims) is not supported",
                                mscale, R, h->head_dim);
        h->attn_scale *= (float)(mscale * mscale);
    }
    return VKATTN_OK;
}
