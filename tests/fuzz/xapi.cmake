# lib/xapi: libFuzzer target for the XML-RPC / JSON-RPC response readers, built with
# clang by the test itself and run for a short bounded time (included from CMakeLists.txt).
find_program(XR_XAPI_CLANGXX clang++)
if(XR_XAPI_CLANGXX)
  add_test(NAME fuzz.xapi_readers
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/xapi_fuzz.sh ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/xapi_fuzz 20)
  set_tests_properties(fuzz.xapi_readers PROPERTIES LABELS fuzz TIMEOUT 300)
endif()
