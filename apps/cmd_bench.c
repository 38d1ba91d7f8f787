/* vkattn bench <what>: benchmarks; each writes JSON + Markdown with -o PREFIX. */
#include "bench.h"

#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} benches[] = {
    {"startup", bench_startup, "context + pipeline creation, first run (cold cache) vs second run"},
    {"attention", bench_attention, "attention implementations (3-pass, flash, decode) over sequence lengths"},
    {"gemm", bench_gemm, "GEMM/GEMV in f32/f16/Q8_0/Q4_0 vs OpenBLAS, copy bandwidth vs memcpy"},
    {"model", bench_model, "GGUF model: prompt processing (pp512) and generation (tg128) tok/s, as llama-bench"},
    {"compare", bench_compare, "ratios between two result files (runs, devices, commits); regressions flagged"},
    {"plot", bench_plot, "SVG charts of an attention or gemm result file (time against L, GFLOP/s against M, GEMV GB/s)"},
    {"encoder", bench_encoder, "BERT-base sentences/s (seq 128/512, batch 1/32), ViT-B/16 images/s"},
};

int cmd_bench(int argc, char **argv) {
    if (argc < 2 || cli_is_help(argv[1])) {
        printf("usage: vkattn bench <what> [options]   (vkattn bench <what> --help)\n\n");
        for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) printf("  %-12s %s\n", benches[i].name, benches[i].help);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        if (strcmp(argv[1], benches[i].name) == 0) return benches[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vkattn bench: unknown benchmark \"%s\" (see vkattn bench --help)\n", argv[1]);
    return 2;
}
