# Stream benchmark (tests/bench/stream_bench.py): its watchers, one epoll thread in C++
# (watch_readers.cpp), so the 1,000 readers leave the server the cores and are measured apart.
add_executable(watch_readers ${CMAKE_CURRENT_LIST_DIR}/watch_readers.cpp)

# The benchmark itself on a small scale (figures, not verdicts: only that every watcher got
# every change once, every wait its answer, and the phases ran).
add_test(NAME bench.stream_small
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/stream_bench.py ${CMAKE_BINARY_DIR}
                 --vms 50 --watchers 20 --waiters 5 --rate 5 --seconds 3 --rounds 1)
set_tests_properties(bench.stream_small PROPERTIES LABELS "bench;stream" TIMEOUT 180
  PASS_REGULAR_EXPRESSION ", 0 missing or not 200.*; missing 0, duplicate 0, streams ended by the server 0")
