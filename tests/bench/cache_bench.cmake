# lib/cache benchmark (not run by ctest: figures, not pass/fail).
#   cache_bench [vms] [iterations] [segment_mb]: load, memory, projection vs memcpy, GET.
add_executable(cache_bench ${CMAKE_CURRENT_LIST_DIR}/cache_bench.cpp)
target_link_libraries(cache_bench PRIVATE xr_cache)
