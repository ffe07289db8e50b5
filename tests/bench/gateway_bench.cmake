# Gateway benchmark (tests/bench/gateway_bench.sh): the FastCGI floor responder it compares
# single-object requests against. Run: tests/bench/gateway_bench.sh BUILD_DIR
add_executable(gateway_fcgi_floor ${CMAKE_CURRENT_LIST_DIR}/gateway_fcgi_floor.cpp)
target_link_libraries(gateway_fcgi_floor PRIVATE PkgConfig::FCGI Threads::Threads)
