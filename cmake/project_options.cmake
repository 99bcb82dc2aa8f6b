# Compile options for the project's own code only (third-party headers are SYSTEM includes).
add_library(dc_options INTERFACE)
target_compile_options(dc_options INTERFACE
  $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic -Werror -Wshadow -Wno-unused-parameter>)
target_compile_definitions(dc_options INTERFACE _GNU_SOURCE
  DC_VERSION="${PROJECT_VERSION}" DC_LLAMA_SRC_DIR="${DC_LLAMA_SRC_DIR}")
if(DC_TEST_HOOKS)
  target_compile_definitions(dc_options INTERFACE DC_TEST_HOOKS=1)
endif()
if(DC_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_compile_options(${_san})
  add_link_options(${_san})
endif()
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "" FORCE)
endif()

# dc_add_module(NAME DEPS...) : static library dc_NAME from every .c in this folder.
function(dc_add_module name)
  file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  add_library(dc_${name} STATIC ${_srcs})
  target_include_directories(dc_${name} PUBLIC ${CMAKE_SOURCE_DIR}/include
                                        PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(dc_${name} PUBLIC ${ARGN} PRIVATE dc_options)
  # test builds count the modules' allocations (src/core/alloc_fault.h)
  if(DC_TEST_HOOKS)
    target_compile_options(dc_${name} PRIVATE
      $<$<COMPILE_LANGUAGE:C>:-include ${CMAKE_SOURCE_DIR}/src/core/alloc_hook.h>)
  endif()
endfunction()

# dc_add_test(NAME SOURCE LIBS...) : a test executable in build/bin and a ctest entry.
function(dc_add_test name source)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARGN} PkgConfig::CMOCKA dc_options)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT
    "DC_TEST_TMP=${CMAKE_BINARY_DIR}/test-tmp;DC_BIN=${CMAKE_BINARY_DIR}/bin;DC_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()

# dc_add_pg_test(NAME TARGET [ARGS...]) : the test program TARGET once more, against a private
# PostgreSQL server that tests/store/with-pg starts (initdb as an unprivileged user, 127.0.0.1 on
# a free port) and stops, with DC_TEST_DB=pg: store_test_util.h then gives each test a database
# of its own, so every store and service test runs on both backends.
function(dc_add_pg_test name target)
  add_test(NAME ${name}
           COMMAND ${CMAKE_SOURCE_DIR}/tests/store/with-pg $<TARGET_FILE:${target}> ${ARGN}
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES LABELS postgresql ENVIRONMENT
    "DC_TEST_TMP=${CMAKE_BINARY_DIR}/test-tmp;DC_BIN=${CMAKE_BINARY_DIR}/bin;DC_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()
