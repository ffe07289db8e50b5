# lib/filter benchmark (not run by ctest: figures, not pass/fail).
#   node tests/bench/filter_bench.js --bin <build>/tests/bench/filter_bench --npm <build>/npm
# or: cmake --build <build> --target bench_filter (needs the npm fixture installed).
add_executable(filter_bench ${CMAKE_CURRENT_LIST_DIR}/filter_bench.cpp)
target_link_libraries(filter_bench PRIVATE xr_filter)
find_program(XR_NODE node)
if(XR_NODE)
  add_custom_target(bench_filter
    COMMAND ${XR_NODE} ${CMAKE_CURRENT_LIST_DIR}/filter_bench.js --bin $<TARGET_FILE:filter_bench> --npm ${XR_NPM_DIR}
    DEPENDS filter_bench USES_TERMINAL)
endif()
