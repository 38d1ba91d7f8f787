# Cross-compiling vkattn for 64-bit Arm Linux (embedded boards, Android-like SoCs) with Debian's
# cross toolchain (crossbuild-essential-arm64) and multiarch arm64 libraries (libcjson-dev:arm64;
# libvulkan-dev:arm64 for the loader that volk opens at run time). Shaders are compiled by the
# host's glslangValidator: SPIR-V is portable. Tests run under qemu-user (see scripts/test-aarch64.sh).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Multiarch: arm64 libraries live in /usr/lib/aarch64-linux-gnu of the host itself.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# ctest runs every test executable through qemu. -L / takes the dynamic loader from multiarch libc6:arm64,
# the package libc.so.6 comes from: the cross root's older ld.so (libc6-arm64-cross) with the newer
# multiarch libc spins forever in the first pthread_create (their shared loader data differ).
find_program(QEMU_AARCH64 qemu-aarch64-static qemu-aarch64)
if(QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${QEMU_AARCH64} -L /)
endif()
