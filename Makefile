# Thin wrapper over CMake: `make demo` and `make test` are the quick start.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifneq ($(CI),)
CMAKE_FLAGS += -DXR_WERROR=ON
endif

.PHONY: all deps configure build test demo demo-cluster bench package clean
all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

demo: build
	@scripts/demo.sh $(BUILD)

# Two nodes on a throw-away PostgreSQL behind one nginx upstream (issue 15); Ctrl-C stops it.
demo-cluster: build
	@scripts/demo-cluster.py $(BUILD)

bench: build
	@tests/bench/run-all.sh $(BUILD)

# xapi-rest_<version>_<arch>.deb and xapi-rest-<version>.<arch>.rpm into $(BUILD)/packages
package: deps
	@packaging/build-packages.sh $(BUILD)

clean:
	rm -rf $(BUILD)
