# Gateway benchmark (tests/bench/gateway_bench.sh): the FastCGI floor responder it compares
# single-object requests against. Run: tests/bench/gateway_bench.sh BUILD_DIR
add_executable(gateway_fcgi_floor ${CMAKE_CURRENT_LIST_DIR}/gateway_fcgi_floor.cpp)
target_link_libraries(gateway_fcgi_floor PRIVATE PkgConfig::FCGI Threads::Threads)

# `make bench`'s figures table (issue 14): QUICK=1 run-all.sh ... gateway must print a figure
# row, with its same-run baseline and ratio, for every list row and one object at -c32/-c64,
# the rename under list load, the time to a full cache and memory per VM.
add_test(NAME bench.run_all_figures COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_all_figures.sh ${CMAKE_BINARY_DIR})
set_tests_properties(bench.run_all_figures PROPERTIES LABELS "bench;integration" TIMEOUT 600
  PASS_REGULAR_EXPRESSION "PASS: every figure row" FAIL_REGULAR_EXPRESSION "FAIL:")
