# Data plane tests of the simulator (XVA, VHD, NBD, HTTP handlers), included by
# tests/xapi-sim/CMakeLists.txt. Python tests run with Debian's interpreter (it has
# python3-zstandard and python3-xxhash).
set(XR_SIM_PYTHON /usr/bin/python3)
set(dataplane_dir ${CMAKE_CURRENT_LIST_DIR}/tests)

add_test(NAME sim.dataplane.format
  COMMAND ${XR_SIM_PYTHON} ${dataplane_dir}/dataplane_format_test.py)
add_test(NAME sim.dataplane.wire
  COMMAND ${XR_SIM_PYTHON} ${dataplane_dir}/dataplane_wire_test.py)
add_test(NAME sim.dataplane.xen_api
  COMMAND ${XR_SIM_PYTHON} ${dataplane_dir}/dataplane_xen_api_test.py)
set_tests_properties(sim.dataplane.format sim.dataplane.wire sim.dataplane.xen_api
  PROPERTIES LABELS sim TIMEOUT 300)
set_tests_properties(sim.dataplane.xen_api PROPERTIES
  FIXTURES_REQUIRED npm ENVIRONMENT "XR_NPM_DIR=${XR_NPM_DIR}")
