# bench/fingerprint's search part (search.sh): fp-search stores N synthetic fingerprints in the
# footage index (SQLite or PostgreSQL) and times lookups. Included from bench/CMakeLists.txt.
if(NOT TARGET fp-search)
  add_executable(fp-search ${CMAKE_CURRENT_LIST_DIR}/fp_search.c)
  target_link_libraries(fp-search PRIVATE dc_store dc_fingerprint dc_core m dc_options)
endif()
