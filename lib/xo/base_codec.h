// BaseCodec: compresses the serialized base objects a PoolModel keeps between batches,
// with one raw-content zstd dictionary per XAPI class (the first object of that class):
// objects of a class share their keys and many values, so they shrink ~5-8x.
// Owned by one PoolModel; pool thread only; never blocks.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "xo/collections.h"

namespace xr::xo {

class BaseCodec {
 public:
  BaseCodec();
  ~BaseCodec();
  BaseCodec(BaseCodec&&) noexcept;
  BaseCodec& operator=(BaseCodec&&) noexcept;

  std::string compress(Cls cls, std::string_view json);
  // False if `packed` is not a frame this codec wrote.
  bool decompress(Cls cls, std::string_view packed, std::string* json);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace xr::xo
