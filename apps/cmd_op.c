/* vkattn op: runs one library op on tensors from a safetensors file (op_runner.h, docs/ops.md).
 * Exit codes: 0 ok, 1 failed, 2 usage error, 3 not supported on this device (e.g. f16 without
 * 16-bit storage), so scripts can tell a missing feature from a bug. */
#include "op_runner.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2
#define EXIT_UNSUPPORTED 3

/* The attention options (op_attention_desc), shared by attention and mha. */
#define ATTENTION_FLAGS                                                                                          \
    {"--causal", NULL, "causal mask, bottom-right aligned: query i sees keys j <= i + Lk - Lq"},                 \
        {"--scale", "S", "score scale (default 1/sqrt(D))"},                                                     \
        {"--window", "W", "sliding window: query i sees keys j > i + Lk - Lq - W (default 0 = none)"},          \
        {"--softcap", "C", "score soft-capping C * tanh(s / C) on the scaled scores (default 0 = none)"},       \
        {"--impl", "auto|3pass|flash|decode", "implementation (default auto)"},                                  \
        {"--probs", NULL, "also output the attention probabilities (forces 3-pass)"}

static const op_desc ops[] = {
    {"copy", op_copy, "y = x on the device (dtype conversion, strided source)", "x [up to 4-D]",
     "y [x's shape; last two dims swapped with --transpose]",
     (const op_flag_desc[]){{"--to", "f32|f16", "dtype of y on the device (default: --dtype)"},
                            {"--transpose", NULL, "read x through a strided view with its last two dims swapped"},
                            {NULL}}},
    {"attention", op_attention, "o = softmax(q k^T * scale + mask) v (3-pass, flash or decode)",
     "q [B,Hq,Lq,D], k [B,Hkv,Lk,D], v [B,Hkv,Lk,Dv]; optional mask (additive f32 [Lq,Lk], [B,1,Lq,Lk] or "
     "[B,Hq,Lq,Lk]), kv_len (int32 [B])",
     "o [B,Hq,Lq,Dv]; p [B,Hq,Lq,Lk] (f32) with --probs",
     (const op_flag_desc[]){ATTENTION_FLAGS, {NULL}}},
    {"additive-attention", op_additive_attention, "Bahdanau attention: c_t = sum_i softmax_i(v . tanh(W_h h_i + W_s s_t + b)) h_i",
     "h [B,Lk,Dh], s [B,T,Ds], W_h [A,Dh], W_s [A,Ds], v [A]; optional b [A], mask [B,Lk] (nonzero = keep)",
     "c [B,T,Dh], alpha [B,T,Lk]", NULL},
    {"mha", op_mha, "nn.MultiheadAttention(batch_first=True) forward, plus grouped-query heads",
     "query [B,Lq,E]; key [B,Lk,kdim], value [B,Lk,vdim] (absent: self-attention); in_proj_weight [3E,E] or "
     "q_proj_weight, k_proj_weight, v_proj_weight; optional in_proj_bias; out_proj.weight [E,E], optional "
     "out_proj.bias; optional mask, kv_len as for attention",
     "attn_output [B,Lq,E]; attn_output_weights [B,H,Lq,Lk] (per head) with --probs",
     (const op_flag_desc[]){{"--heads", "N", "number of query heads (required)"},
                            {"--kv-heads", "N", "number of key/value heads (grouped-query; default --heads)"},
                            ATTENTION_FLAGS, {NULL}}},
    /* ---- elementwise, norms, positions, selection, layers (ops helper) ---- */
    {"linear", op_linear, "output = input weight^T + bias (F.linear / nn.Linear)",
     "input [..., K]; weight [N, K]; bias [N] optional", "output [..., N]",
     (const op_flag_desc[]){{"--wtype", "f32|f16|q8_0|q4_0", "weight storage on the device, quantized on the host (default --dtype)"},
                            {NULL}}},
    {"embedding", op_embedding, "token embedding lookup: output = weight[input] (nn.Embedding)",
     "input i32 [any shape] (ids in [0, V)); weight [V, D]", "output [input's shape..., D]",
     (const op_flag_desc[]){{"--wtype", "f32|f16|q8_0|q4_0", "table storage on the device, quantized on the host (default --dtype)"},
                            {NULL}}},
    {"layer-norm", op_layer_norm, "LayerNorm over the last dim (F.layer_norm)", "x [..., D]; weight [D], bias [D] optional",
     "y [x's shape]", (const op_flag_desc[]){{"--eps", "E", "epsilon (default 1e-5)"}, {NULL}}},
    {"rms-norm", op_rms_norm, "RMSNorm over the last dim (nn.RMSNorm, LLaMA)", "x [..., D]; weight [D] optional",
     "y [x's shape]", (const op_flag_desc[]){{"--eps", "E", "epsilon (default 1e-6)"}, {NULL}}},
    {"gelu", op_gelu, "GELU (F.gelu)", "x", "y",
     (const op_flag_desc[]){{"--approximate", "none|tanh", "erf form (default) or the tanh approximation"}, {NULL}}},
    {"silu", op_silu, "SiLU x * sigmoid(x) (F.silu)", "x", "y", NULL},
    {"relu", op_relu, "ReLU (F.relu)", "x", "y", NULL},
    {"scale", op_scale, "y = alpha * x", "x", "y", (const op_flag_desc[]){{"--alpha", "A", "the factor (default 1)"}, {NULL}}},
    {"softmax", op_softmax, "softmax over the last dim (F.softmax(dim=-1)); all -inf rows give zeros", "x [..., D]",
     "y [x's shape]", NULL},
    {"swiglu", op_swiglu, "y = silu(gate) * up (LLaMA MLP)", "gate, up [..., F]; or x [..., 2F] = [gate | up]",
     "y [..., F]", NULL},
    {"geglu", op_geglu, "y = gelu(gate) * up", "gate, up [..., F]; or x [..., 2F] = [gate | up]", "y [..., F]",
     (const op_flag_desc[]){{"--approximate", "none|tanh", "GELU form (default erf)"}, {NULL}}},
    {"add", op_add, "y = x + other, other broadcast over x's leading dims", "x; other [trailing dims of x, each or 1]",
     "y [x's shape]", NULL},
    {"mul", op_mul, "y = x * other, other broadcast over x's leading dims", "x; other [trailing dims of x, each or 1]",
     "y [x's shape]", NULL},
    {"position-embedding", op_position_embedding, "learned positions: y = x + weight[offset + l]",
     "x [..., L, D]; weight [Lmax, D] (nn.Embedding)", "y [x's shape]",
     (const op_flag_desc[]){{"--offset", "N", "position of the first row (default 0)"}, {NULL}}},
    {"rope", op_rope, "rotary position embedding (NeoX half split or GPT-J interleaved)",
     "x [B, L, H, D] or [B, H, L, D]; positions i32 [L] / [B, L] and inv_freq [R/2] optional", "y [x's shape]",
     (const op_flag_desc[]){{"--mode", "neox|gptj", "pairs (i, i + R/2) (default) or (2i, 2i + 1)"},
                            {"--layout", "blhd|bhld", "where the tokens are (default blhd)"},
                            {"--rotary-dims", "R", "rotated leading dims of D (default all)"},
                            {"--theta", "T", "frequency base (default 10000)"},
                            {"--offset", "N", "position of the first token (default 0)"},
                            {NULL}}},
    {"sinusoidal", op_sinusoidal, "sinusoidal positional encoding (Vaswani et al.): y = PE or x + PE",
     "x [..., L, D] optional", "y [x's shape, or L x D]",
     (const op_flag_desc[]){{"--offset", "N", "position of the first row (default 0)"},
                            {"--length", "L", "rows of the table when there is no x"},
                            {"--dim", "D", "columns of the table when there is no x"},
                            {NULL}}},
    {"argmax", op_argmax, "index of the largest entry per row (ties: lowest index)", "x [..., V]",
     "indices i32 [...]", NULL},
    {"topk", op_topk, "the k largest entries per row, sorted descending (torch.topk)", "x [..., V]",
     "values [..., k], indices i32 [..., k]", (const op_flag_desc[]){{"--k", "K", "how many (1..256, default 1)"}, {NULL}}},
    {"ffn", op_ffn, "feed-forward layer: down(act(gate x) * up x) or down(act(up x)), + residual",
     "x [..., D]; up.weight [F, D] (+ gate.weight) or gate_up.weight [2F, D]; down.weight [D_out, F]; "
     "*.bias and residual optional",
     "y [..., D_out]",
     (const op_flag_desc[]){{"--act", "relu|gelu|gelu-tanh|silu", "activation (gated: silu = SwiGLU, gelu = GeGLU)"},
                            {NULL}}},
    {"gru", op_gru, "nn.GRU, 1 layer, batch_first",
     "x [B, T, I]; weight_ih_l0, weight_hh_l0; bias_ih_l0, bias_hh_l0, h0 [1, B, H] optional",
     "output [B, T, H], h_n [1, B, H]", NULL},
    {"lstm", op_lstm, "nn.LSTM, 1 layer, batch_first",
     "x [B, T, I]; weight_ih_l0, weight_hh_l0; bias_ih_l0, bias_hh_l0, h0, c0 [1, B, H] optional",
     "output [B, T, H], h_n, c_n [1, B, H]", NULL},
};
#define N_OPS (sizeof ops / sizeof ops[0])

static const op_flag_desc common_flags[] = {
    {"--in", "IN.safetensors", "input tensors"},
    {"--out", "OUT.safetensors", "output tensors (f32; i32 stays i32); without it a summary is printed"},
    {"--device", "D", "device index, type or name substring (default: $VKATTN_DEVICE or the best)"},
    {"--dtype", "f32|f16", "storage of the device tensors (default f32; f16 is packed words on devices without 16-bit storage)"},
    {"--profile", NULL, "print the per-kernel GPU time table"},
    {NULL},
};

static void print_flags(FILE *f, const op_flag_desc *flags) {
    for (const op_flag_desc *d = flags; d && d->name; d++) {
        char lhs[64];
        snprintf(lhs, sizeof lhs, "%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
        fprintf(f, "  %-28s %s\n", lhs, d->help);
    }
}

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn op NAME --in IN.safetensors --out OUT.safetensors [op flags]\n"
               "                 [--device D] [--dtype f32|f16] [--profile]\n\n"
               "Runs one op on tensors read from a safetensors file (vkattn op NAME --help for its flags).\n"
               "Exit status: 0 ok, 1 failed, 2 usage error, 3 not supported on this device.\n\nops:\n");
    for (size_t i = 0; i < N_OPS; i++) fprintf(f, "  %-20s %s\n", ops[i].name, ops[i].help);
    fprintf(f, "\ncommon flags:\n");
    print_flags(f, common_flags);
}

static void op_usage(FILE *f, const op_desc *op) {
    fprintf(f, "usage: vkattn op %s --in IN.safetensors --out OUT.safetensors [flags]\n\n%s\n\n  inputs:  %s\n"
               "  outputs: %s\n",
            op->name, op->help, op->inputs, op->outputs);
    if (op->flags && op->flags[0].name) {
        fprintf(f, "\nflags:\n");
        print_flags(f, op->flags);
    }
    fprintf(f, "\ncommon flags:\n");
    print_flags(f, common_flags);
}

/* "--name" or "--name=value" against a declared flag name. */
static const op_flag_desc *match_flag(const op_flag_desc *flags, const char *arg) {
    size_t n = strcspn(arg, "=");
    for (const op_flag_desc *d = flags; d && d->name; d++)
        if (strlen(d->name) == n && strncmp(d->name, arg, n) == 0) return d;
    return NULL;
}

static void list_flags(FILE *f, const op_flag_desc *flags) {
    int any = 0;
    for (const op_flag_desc *d = flags; d && d->name; d++, any = 1)
        fprintf(f, "%s%s%s%s", any ? ", " : "", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
    if (!any) fprintf(f, "no op-specific flags");
}

/* ---- helpers for runners ---------------------------------------------------------------- */

int op_fail(op_args *a, const char *what, vkattn_status st) {
    a->status = st;
    /* the thread's message is the latest one, from a context or from a context-less call */
    fprintf(stderr, "vkattn op %s: %s: %s: %s\n", a->op->name, what, vkattn_status_string(st), vkattn_context_error(NULL));
    return 1;
}

/* a->argv holds only declared flags, each followed by its value when it takes one (parse_args). */
static const char *find_flag(op_args *a, const char *flag) {
    while (*flag == '-') flag++;
    const char *val = NULL;
    for (int i = 0; i < a->argc; i++) {
        const char *s = a->argv[i], *eq = strchr(s, '=');
        const op_flag_desc *d = match_flag(a->op->flags, s);
        const char *v = !d ? NULL : eq ? eq + 1 : d->arg && i + 1 < a->argc ? a->argv[++i] : "";
        if (d && strcmp(d->name + 2, flag) == 0) val = v; /* the last occurrence wins */
    }
    return val;
}

const char *op_flag(op_args *a, const char *flag) {
    const char *v = find_flag(a, flag);
    return v && *v ? v : NULL;
}

int op_has(op_args *a, const char *flag) { return find_flag(a, flag) != NULL; }

int op_flag_long(op_args *a, const char *flag, long long def, long long min, long long max, long long *out) {
    const char *v = find_flag(a, flag);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "op %s", a->op->name);
    *out = def;
    return v && (a->usage_error = cli_parse_int(cmd, flag, v, min, max, out));
}

int op_flag_double(op_args *a, const char *flag, double def, double min, double max, double *out) {
    const char *v = find_flag(a, flag);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "op %s", a->op->name);
    *out = def;
    return v && (a->usage_error = cli_parse_float(cmd, flag, v, min, max, out));
}

static int own(op_args *a, vkattn_tensor *t) {
    if (a->n_owned == a->cap_owned) {
        uint32_t cap = a->cap_owned ? 2 * a->cap_owned : 16;
        vkattn_tensor **p = realloc(a->owned, cap * sizeof *p);
        if (!p) return 0;
        a->owned = p;
        a->cap_owned = cap;
    }
    a->owned[a->n_owned++] = t;
    return 1;
}

/* Hands a new tensor (or the failure) to the framework. */
static vkattn_tensor *adopt(op_args *a, vkattn_status st, vkattn_tensor *t, const char *what) {
    if (st != VKATTN_OK) {
        op_fail(a, what, st);
        return NULL;
    }
    if (!own(a, t)) {
        vkattn_tensor_destroy(t);
        fprintf(stderr, "vkattn op %s: out of host memory\n", a->op->name);
        return NULL;
    }
    return t;
}

vkattn_tensor *op_tensor(op_args *a, vkattn_dtype dtype, uint32_t ndim, const int64_t *shape) {
    vkattn_tensor *t = NULL;
    vkattn_status st = vkattn_tensor_create(a->ctx, dtype, ndim, shape, &t);
    return adopt(a, st, t, "creating a tensor");
}

vkattn_tensor *op_view(op_args *a, vkattn_tensor *base, uint64_t offset, uint32_t ndim, const int64_t *shape,
                       const int64_t *strides) {
    vkattn_tensor *t = NULL;
    vkattn_status st = vkattn_tensor_view(base, offset, ndim, shape, strides, &t);
    return adopt(a, st, t, "creating a view");
}

vkattn_tensor *op_input(op_args *a, const char *name, vkattn_dtype dtype, int required) {
    vkattn_st_tensor t;
    if (!a->in || vkattn_safetensors_find(a->in, name, &t) != VKATTN_OK) {
        if (!required) return NULL;
        a->failed = 1;
        fprintf(stderr, "vkattn op %s: needs input tensor \"%s\" %s%s (inputs: %s)\n", a->op->name, name,
                a->in ? "in " : "", a->in ? a->in_path : "(pass --in FILE.safetensors)", a->op->inputs);
        return NULL;
    }
    uint64_t n = 1;
    for (uint32_t i = 0; i < t.ndim; i++) n *= (uint64_t)t.shape[i];
    vkattn_tensor *dev = n ? op_tensor(a, dtype, t.ndim, t.shape) : NULL;
    if (!n) fprintf(stderr, "vkattn op %s: input \"%s\" is empty\n", a->op->name, name);
    void *buf = dev ? malloc((size_t)n * 4) : NULL;
    vkattn_status st = VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    if (buf && dtype == VKATTN_I32) {
        st = vkattn_st_tensor_read_i32(&t, buf, n);
        if (st == VKATTN_OK) st = vkattn_tensor_upload(dev, buf, (size_t)n * 4);
    } else if (buf) {
        st = vkattn_st_tensor_read_f32(&t, buf, n);
        if (st == VKATTN_OK) st = vkattn_tensor_upload_f32(dev, buf, (size_t)n);
    }
    free(buf);
    if (dev && st != VKATTN_OK) {
        op_fail(a, name, st);
        dev = NULL;
    }
    if (!dev) a->failed = 1;
    return dev;
}

static void print_summary(const char *name, const vkattn_tensor *t, const float *f, const int32_t *i32, uint64_t n) {
    printf("%s: %s [", name, vkattn_dtype_string(vkattn_tensor_dtype(t)));
    for (uint32_t d = 0; d < vkattn_tensor_ndim(t); d++) printf(d ? ", %lld" : "%lld", (long long)vkattn_tensor_dim(t, d));
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (uint64_t k = 0; k < n; k++) {
        double x = f ? f[k] : i32[k];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        sum += x;
    }
    printf("]  min %.6g  max %.6g  mean %.6g\n", lo, hi, n ? sum / (double)n : 0.0);
}

int op_output(op_args *a, const char *name, const vkattn_tensor *t) {
    vkattn_dtype dt = vkattn_tensor_dtype(t);
    uint32_t nd = vkattn_tensor_ndim(t);
    int64_t shape[VKATTN_MAX_DIMS];
    for (uint32_t d = 0; d < nd; d++) shape[d] = vkattn_tensor_dim(t, d);
    if (dt != VKATTN_F32 && dt != VKATTN_F16 && dt != VKATTN_BF16 && dt != VKATTN_I32) {
        fprintf(stderr, "vkattn op %s: output \"%s\" is %s; outputs must be f32, f16, bf16 or i32\n", a->op->name,
                name, vkattn_dtype_string(dt));
        return 1;
    }
    const vkattn_tensor *src = t;
    vkattn_status st;
    if (!vkattn_tensor_is_contiguous(t)) { /* downloads need contiguous memory: copy the view first */
        vkattn_tensor *c = op_tensor(a, dt, nd, shape);
        if (!c) return 1;
        if ((st = vkattn_copy(a->ctx, t, c)) != VKATTN_OK) return op_fail(a, "copying a strided output", st);
        src = c;
    }
    uint64_t n = vkattn_tensor_numel(t);
    void *buf = malloc((size_t)n * 4);
    if (!buf) return op_fail(a, name, VKATTN_ERROR_OUT_OF_HOST_MEMORY);
    int is_int = dt == VKATTN_I32;
    st = is_int ? vkattn_tensor_download(src, buf, (size_t)n * 4) : vkattn_tensor_download_f32(src, buf, (size_t)n);
    if (st == VKATTN_OK && a->out_path) {
        st = vkattn_st_writer_add(a->out, name, is_int ? VKATTN_I32 : VKATTN_F32, nd, shape, buf);
        if (st != VKATTN_OK) {
            fprintf(stderr, "vkattn op %s: output \"%s\": %s\n", a->op->name, name, vkattn_context_error(NULL));
            free(buf);
            return 1;
        }
    } else if (st == VKATTN_OK) {
        print_summary(name, t, is_int ? NULL : buf, is_int ? buf : NULL, n);
    }
    free(buf);
    return st == VKATTN_OK ? 0 : op_fail(a, name, st);
}

/* ---- the command ---------------------------------------------------------------- */

static int parse_dtype(const char *s, vkattn_dtype *out) {
    if (strcmp(s, "f32") == 0) *out = VKATTN_F32;
    else if (strcmp(s, "f16") == 0) *out = VKATTN_F16;
    else return 0;
    return 1;
}

/* Splits argv into the common flags (into a) and the op's flags (checked against
 * op->flags, kept in a->argv). Returns 0, or EXIT_USAGE after printing why. */
static int parse_args(op_args *a, int argc, char **argv) {
    const op_desc *op = a->op;
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        const op_flag_desc *d = match_flag(common_flags, s);
        int own_flag = !d;
        if (own_flag) d = match_flag(op->flags, s);
        if (!d) {
            fprintf(stderr, "vkattn op %s: unknown %s \"%s\"; %s accepts: ", op->name,
                    s[0] == '-' ? "flag" : "argument", s, op->name);
            list_flags(stderr, op->flags);
            fprintf(stderr, " (common: --in, --out, --device, --dtype, --profile; see vkattn op %s --help)\n", op->name);
            return EXIT_USAGE;
        }
        const char *eq = strchr(s, '=');
        if (!d->arg && eq) {
            fprintf(stderr, "vkattn op %s: %s takes no value\n", op->name, d->name);
            return EXIT_USAGE;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (d->arg && !eq) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vkattn op %s: %s needs a value (%s)\n", op->name, d->name, d->arg);
                return EXIT_USAGE;
            }
            val = argv[i + 1];
        }
        if (own_flag) {
            a->argv[a->argc++] = argv[i];
            if (d->arg && !eq) a->argv[a->argc++] = argv[i + 1];
        } else if (strcmp(d->name, "--in") == 0) a->in_path = val;
        else if (strcmp(d->name, "--out") == 0) a->out_path = val;
        else if (strcmp(d->name, "--device") == 0) a->device = val;
        else if (strcmp(d->name, "--profile") == 0) a->profile = 1;
        else if (!parse_dtype(val, &a->dtype)) {
            fprintf(stderr, "vkattn op %s: --dtype must be f32 or f16, not \"%s\"\n", op->name, val);
            return EXIT_USAGE;
        }
        if (d->arg && !eq) i++;
    }
    return 0;
}

static int run(op_args *a) {
    vkattn_status st;
    if (a->in_path && (st = vkattn_safetensors_open(a->in_path, &a->in)) != VKATTN_OK) {
        fprintf(stderr, "vkattn op %s: reading --in: %s: %s\n", a->op->name, vkattn_status_string(st),
                vkattn_context_error(NULL));
        return 1;
    }
    if ((st = vkattn_st_writer_create(&a->out)) != VKATTN_OK) return cli_fail("creating the writer", st, NULL);
    if (!(a->ctx = cli_context(a->device, a->profile))) return 1;
    /* --dtype f16 without 16-bit storage: ops that have packed-f16 kernels run, the others
     * refuse with VKATTN_ERROR_UNSUPPORTED (exit 3) and a message naming the op */
    int rc = a->op->run(a);
    char first[1024];
    uint32_t nv = vkattn_context_validation_messages(a->ctx, first, sizeof first);
    if (nv) {
        fprintf(stderr, "vkattn op %s: %u validation message(s); first: %s\n", a->op->name, nv, first);
        rc = 1;
    }
    if (rc) return a->usage_error ? EXIT_USAGE : a->status == VKATTN_ERROR_UNSUPPORTED ? EXIT_UNSUPPORTED : 1;
    if (a->out_path && (st = vkattn_st_writer_save(a->out, a->out_path)) != VKATTN_OK) {
        fprintf(stderr, "vkattn op %s: writing --out: %s\n", a->op->name, vkattn_context_error(NULL));
        return 1;
    }
    if (a->profile) cli_print_profile(a->ctx, stdout);
    return 0;
}

int cmd_op(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const op_desc *op = NULL;
    for (size_t i = 0; i < N_OPS; i++)
        if (strcmp(argv[1], ops[i].name) == 0) op = &ops[i];
    if (!op) {
        fprintf(stderr, "vkattn op: unknown op \"%s\"\n\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (cli_is_help(argv[i])) {
            op_usage(stdout, op);
            return 0;
        }
    op_args a = {.op = op, .dtype = VKATTN_F32, .argv = calloc((size_t)argc, sizeof(char *))};
    if (!a.argv) return cli_fail("parsing arguments", VKATTN_ERROR_OUT_OF_HOST_MEMORY, NULL);
    int rc = parse_args(&a, argc, argv);
    if (!rc) rc = run(&a);
    for (uint32_t i = a.n_owned; i-- > 0;) vkattn_tensor_destroy(a.owned[i]); /* views before their bases */
    free(a.owned);
    vkattn_context_destroy(a.ctx);
    vkattn_safetensors_close(a.in);
    vkattn_st_writer_destroy(a.out);
    free(a.argv);
    return rc;
}
