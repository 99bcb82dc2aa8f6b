# Locates every third-party library as an imported target. Everything but llama.cpp
# comes from Debian (pkg-config); llama.cpp comes from the prefix that scripts/deps built.
find_package(PkgConfig REQUIRED)
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET
  libavformat libavcodec libavutil libswscale libswresample)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
# SHA-256 of videos: OpenSSL's EVP (SHA-NI), ~5x libavutil's C code (src/core/file_hash.c)
pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
# The claim store's embedded backend (src/store).
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
find_package(Threads REQUIRED)

if(NOT DC_LLAMA_PREFIX)
  message(FATAL_ERROR "DC_LLAMA_PREFIX is not set: run `make` (which runs scripts/deps), or "
                      "scripts/deps and pass -DDC_LLAMA_PREFIX=<the path it prints last>")
endif()
find_path(LLAMA_INCLUDE_DIR llama.h PATHS ${DC_LLAMA_PREFIX}/include NO_DEFAULT_PATH REQUIRED)
find_path(MTMD_INCLUDE_DIR mtmd.h PATHS ${DC_LLAMA_PREFIX}/include NO_DEFAULT_PATH REQUIRED)
foreach(lib llama mtmd ggml ggml-base)
  string(MAKE_C_IDENTIFIER ${lib} id)
  find_library(LIB_${id} NAMES ${lib} PATHS ${DC_LLAMA_PREFIX}/lib NO_DEFAULT_PATH REQUIRED)
endforeach()
add_library(dc_llama INTERFACE)
target_include_directories(dc_llama SYSTEM INTERFACE ${LLAMA_INCLUDE_DIR} ${MTMD_INCLUDE_DIR})
target_link_libraries(dc_llama INTERFACE ${LIB_mtmd} ${LIB_llama} ${LIB_ggml} ${LIB_ggml_base})
# The llama.cpp shared libraries live in the cache prefix: bake that into every executable's
# RUNPATH so nothing needs LD_LIBRARY_PATH.
set(CMAKE_BUILD_RPATH ${DC_LLAMA_PREFIX}/lib)
set(CMAKE_INSTALL_RPATH ${DC_LLAMA_PREFIX}/lib)
# The llama.cpp source tree (synth-model reads its Qwen2 vocabulary from it).
get_filename_component(DC_LLAMA_SRC_DIR ${DC_LLAMA_PREFIX}/../llama.cpp-src REALPATH)
