# lib/xapi against the XAPI simulator (tests/xapi-sim): sessions, calls, tasks, events,
# raw HTTP transfers, TLS modes. Included from tests/integration/CMakeLists.txt.
add_executable(xapi_integration_test
  ${CMAKE_CURRENT_LIST_DIR}/sim_process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_it_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/calls_it_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/events_it_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/transfer_it_test.cpp)
target_include_directories(xapi_integration_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(xapi_integration_test PRIVATE
  XR_XAPI_SIM_DEFAULT="${PROJECT_SOURCE_DIR}/tests/xapi-sim/xapi-sim")
target_link_libraries(xapi_integration_test PRIVATE xr_test_main xr_xapi Boost::unit_test_framework)
# One unity source, as the unit tests (tests/CMakeLists.txt: build time on CI).
xr_unity_test(xapi_integration_test)
add_test(NAME integration.xapi COMMAND xapi_integration_test --log_level=warning)
set_tests_properties(integration.xapi PROPERTIES LABELS integration TIMEOUT 300)
