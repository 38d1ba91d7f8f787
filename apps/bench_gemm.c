/* vkattn bench gemm: placeholder until the gemm benchmark lands. */
#include "bench.h"

int bench_gemm(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "vkattn bench gemm: not built yet\n");
    return 1;
}
