# Thin wrapper over CMake: `make demo` and `make test` are the quick start.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifneq ($(CI),)
CMAKE_FLAGS += -DXR_WERROR=ON
endif

.PHONY: all deps configure build test demo bench clean
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

bench: build
	@tests/bench/run-all.sh $(BUILD)

clean:
	rm -rf $(BUILD)
