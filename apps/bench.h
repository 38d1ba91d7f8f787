/* Benchmarks of `vkattn bench`, one file each (bench_<what>.c). */
#ifndef VKATTN_BENCH_H
#define VKATTN_BENCH_H

#include "bench_report.h"
#include "cli.h"

int bench_startup(int argc, char **argv);
int bench_attention(int argc, char **argv);
int bench_gemm(int argc, char **argv);
int bench_model(int argc, char **argv);
int bench_encoder(int argc, char **argv);
int bench_compare(int argc, char **argv);
int bench_plot(int argc, char **argv);

#endif
