# XO model benchmark (lib/xo), run by xo_bench.sh. Included from tests/conformance, which
# provides the records-dump reader it shares with xo_map_dump.
add_executable(xo_bench ${CMAKE_CURRENT_LIST_DIR}/xo_bench.cpp)
target_link_libraries(xo_bench PRIVATE xr_xo xr_xotools)
set_target_properties(xo_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests/bench)
