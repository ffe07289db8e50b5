# lib/xapi benchmarks (not run by ctest: figures, not pass/fail).
#   xapi_parse_bench: event.from dump decoding, XML-RPC vs JSON-RPC (xapi_parse_bench.sh)
#   xapi_transfer_bench.sh: export/import through the library vs curl
add_executable(xapi_parse_bench ${CMAKE_CURRENT_LIST_DIR}/xapi_parse_bench.cpp)
target_link_libraries(xapi_parse_bench PRIVATE xr_xapi LibXml2::LibXml2)
add_executable(xapi_transfer_tool ${CMAKE_CURRENT_LIST_DIR}/xapi_transfer_tool.cpp)
target_link_libraries(xapi_transfer_tool PRIVATE xr_xapi)
