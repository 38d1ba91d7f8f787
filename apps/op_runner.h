/* The op runner: `vkattn op NAME --in IN.safetensors --out OUT.safetensors [op flags]
 * [--device D] [--dtype f32|f16] [--profile]` runs one library op on tensors from a
 * safetensors file and writes its outputs to another (docs/ops.md). Used by the
 * PyTorch comparisons in tests/py_*.py.
 *
 * Adding an op: write apps/op_<name>.c with `int op_<name>(op_args *a)` (0 = ok,
 * 1 = failed, after printing why), declare it below and add a row to the table in
 * cmd_op.c with its one-line help, inputs, outputs and accepted flags. Tensors from
 * op_input / op_tensor belong to the framework (freed after the runner returns). */
#ifndef VKATTN_OP_RUNNER_H
#define VKATTN_OP_RUNNER_H

#include "cli.h"

/* One op-specific flag: "--name VALUE" (arg != NULL, e.g. "S") or boolean "--name". */
typedef struct op_flag_desc {
    const char *name; /* with the dashes: "--scale" */
    const char *arg;  /* placeholder for the value in --help; NULL = boolean flag */
    const char *help;
} op_flag_desc;

typedef struct op_args op_args;

typedef struct op_desc {
    const char *name;
    int (*run)(op_args *a);
    const char *help;          /* one line */
    const char *inputs;        /* tensors read from --in, e.g. "x [any shape]" */
    const char *outputs;       /* tensors written to --out */
    const op_flag_desc *flags; /* terminated by {NULL}; NULL = none */
} op_desc;

struct op_args {
    const op_desc *op;
    vkattn_context *ctx;
    vkattn_safetensors *in;    /* --in, or NULL when not given */
    vkattn_st_writer *out;     /* collects outputs; saved to --out after the runner */
    const char *in_path, *out_path, *device;
    vkattn_dtype dtype;        /* --dtype: device tensors' storage, VKATTN_F32 (default) or VKATTN_F16 */
    int profile;               /* --profile */
    int argc;                  /* op-specific arguments, already checked against op->flags */
    char **argv;
    vkattn_status status;      /* the last failure reported through op_fail */
    int usage_error;           /* a flag's value was malformed (op_flag_long / op_flag_double): exit 2 */
    int failed;                /* set by op_input on failure (tells "absent" from "failed" for optional inputs) */
    vkattn_tensor **owned;     /* tensors freed by the framework */
    uint32_t n_owned, cap_owned;
};

/* Loads tensor `name` from --in into a new device tensor of `dtype` (f32/f16/bf16/i32
 * in the file, converted; to I32 only from integral values). Returns NULL if absent
 * and not required; on failure prints a clear error, sets a->failed and returns NULL. */
vkattn_tensor *op_input(op_args *a, const char *name, vkattn_dtype dtype, int required);
/* A new device tensor owned by the framework (for outputs and temporaries); prints on failure. */
vkattn_tensor *op_tensor(op_args *a, vkattn_dtype dtype, uint32_t ndim, const int64_t *shape);
/* A strided view of base (vkattn_tensor_view), owned by the framework; prints on failure. */
vkattn_tensor *op_view(op_args *a, vkattn_tensor *base, uint64_t offset, uint32_t ndim, const int64_t *shape,
                       const int64_t *strides);
/* Downloads t and adds it to --out as `name` (float types as F32, I32 as I32). Returns 0 or 1. */
int op_output(op_args *a, const char *name, const vkattn_tensor *t);
/* Value of "--flag V" (or "--flag=V") or NULL; `flag` with or without the leading dashes. */
const char *op_flag(op_args *a, const char *flag);
/* Presence of a boolean "--flag". */
int op_has(op_args *a, const char *flag);
/* Typed flag values in [min, max] (cli_parse_int / cli_parse_float), def when absent; when malformed or out of
 * range: print why, set a->usage_error (the command exits with 2) and return 1. */
int op_flag_long(op_args *a, const char *flag, long long def, long long min, long long max, long long *out);
int op_flag_double(op_args *a, const char *flag, double def, double min, double max, double *out);
/* Prints "vkattn op NAME: what: status: message" for a failed library call, keeps the
 * status (VKATTN_ERROR_UNSUPPORTED makes the command exit with 3), returns 1. */
int op_fail(op_args *a, const char *what, vkattn_status st);

/* ---- runners (one file each: apps/op_<name>.c) ---- */
int op_copy(op_args *a);
int op_attention(op_args *a);
int op_additive_attention(op_args *a);
int op_mha(op_args *a);
/* Shared by attention and mha: --causal, --scale, --impl, --probs and the optional inputs mask / kv_len. */
int op_attention_desc(op_args *a, int64_t B, int64_t Hq, int64_t Lq, int64_t Lk, vkattn_attention_desc *d);

/* ---- elementwise, norms, positions, selection, layers (ops helper) ---- */
int op_layer_norm(op_args *a);  /* op_norm.c */
int op_rms_norm(op_args *a);
int op_gelu(op_args *a);        /* op_unary.c */
int op_silu(op_args *a);
int op_relu(op_args *a);
int op_scale(op_args *a);
int op_softmax(op_args *a);
int op_swiglu(op_args *a);      /* op_glu.c */
int op_geglu(op_args *a);
int op_add(op_args *a);         /* op_add.c */
int op_mul(op_args *a);
int op_position_embedding(op_args *a);
int op_rope(op_args *a);        /* op_rope.c */
int op_sinusoidal(op_args *a);  /* op_sinusoidal.c */
int op_argmax(op_args *a);      /* op_topk.c */
int op_topk(op_args *a);
int op_ffn(op_args *a);         /* op_ffn.c */
int op_gru(op_args *a);         /* op_rnn.c */
int op_lstm(op_args *a);
/* Helpers of these runners (op_unary.c): a new framework-owned tensor of t's shape;
 * the --approximate none|tanh flag (prints and returns 1 when malformed). */
vkattn_tensor *op_like(op_args *a, const vkattn_tensor *t, vkattn_dtype dtype);
int op_approximate(op_args *a, int *tanh_form);

/* ---- linear algebra and embeddings ---- */
int op_linear(op_args *a);      /* op_linear.c */
int op_embedding(op_args *a);   /* op_embedding.c */
/* --wtype f32|f16|q8_0|q4_0 into *out (default: --dtype); prints and returns 1 when malformed. */
int op_wtype(op_args *a, vkattn_dtype *out);
/* Loads 2-D input `name` as a device tensor of wtype, quantizing on the host for q8_0 / q4_0
 * (then its last dim must be a multiple of 32). Required; NULL (after printing) on failure. */
vkattn_tensor *op_weight(op_args *a, const char *name, vkattn_dtype wtype);
/* A new framework-owned tensor of t's shape with the last dim replaced by `last`. */
vkattn_tensor *op_like_last(op_args *a, const vkattn_tensor *t, int64_t last, vkattn_dtype dtype);

#endif
