// Boost.Test entry point shared by every unit-test executable.
#define BOOST_TEST_MODULE xapi_rest_unit
#include <boost/test/unit_test.hpp>
