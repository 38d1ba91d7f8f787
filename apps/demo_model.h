/* The built-in demo model (models/demo.gguf), linked into the CLI by CMake (cmake/demo_model.cmake). */
#ifndef VKATTN_DEMO_MODEL_H
#define VKATTN_DEMO_MODEL_H

#include <stddef.h>

/* The GGUF file's bytes (64-byte aligned, read-only, valid for the program's life) and their count
 * in *size; NULL and *size = 0 when the CLI was built without it (-DVKATTN_DEMO_MODEL=OFF). */
const void *demo_model_data(size_t *size);

#endif
