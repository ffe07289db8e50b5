# lib/store on SQLite and PostgreSQL (issue 15): store_bench.sh runs it on a throw-away cluster.
add_executable(store_bench ${CMAKE_CURRENT_LIST_DIR}/store_bench.cpp)
target_link_libraries(store_bench PRIVATE xr_auth xr_tasks)
