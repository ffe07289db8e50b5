#include "xo/base_codec.h"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_createCDict_advanced
#include <zstd.h>

namespace xr::xo {
namespace {

constexpr int kClassCount = static_cast<int>(Cls::kOther) + 1;
constexpr int kLevel = 1;  // the poller's CPU matters more than the last few bytes

struct CCtxFree {
  void operator()(ZSTD_CCtx* p) const { ZSTD_freeCCtx(p); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* p) const { ZSTD_freeDCtx(p); }
};
struct CDictFree {
  void operator()(ZSTD_CDict* p) const { ZSTD_freeCDict(p); }
};
struct DDictFree {
  void operator()(ZSTD_DDict* p) const { ZSTD_freeDDict(p); }
};

struct Dict {
  std::unique_ptr<ZSTD_CDict, CDictFree> c;
  std::unique_ptr<ZSTD_DDict, DDictFree> d;
};

}  // namespace

struct BaseCodec::State {
  std::string buf;  // compression output, reused
  std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx{ZSTD_createCCtx()};
  std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx{ZSTD_createDCtx()};
  std::array<Dict, kClassCount> dicts;
};

BaseCodec::BaseCodec() : s_(std::make_unique<State>()) {}
BaseCodec::~BaseCodec() = default;
BaseCodec::BaseCodec(BaseCodec&&) noexcept = default;
BaseCodec& BaseCodec::operator=(BaseCodec&&) noexcept = default;

std::string BaseCodec::compress(Cls cls, std::string_view json) {
  Dict& dict = s_->dicts[static_cast<int>(cls)];
  if (!dict.c) {  // raw-content dictionaries copy their content
    // Parameters sized for ~4 KB inputs: small tables, cheap to reset per object.
    ZSTD_compressionParameters params = ZSTD_getCParams(kLevel, 4096, json.size());
    dict.c.reset(ZSTD_createCDict_advanced(json.data(), json.size(), ZSTD_dlm_byCopy,
                                           ZSTD_dct_rawContent, params, ZSTD_defaultCMem));
    dict.d.reset(ZSTD_createDDict(json.data(), json.size()));
  }
  std::string& out = s_->buf;
  if (out.size() < ZSTD_compressBound(json.size())) out.resize(ZSTD_compressBound(json.size()));
  size_t n = dict.c ? ZSTD_compress_usingCDict(s_->cctx.get(), out.data(), out.size(), json.data(),
                                               json.size(), dict.c.get())
                    : ZSTD_compressCCtx(s_->cctx.get(), out.data(), out.size(), json.data(),
                                        json.size(), kLevel);
  if (ZSTD_isError(n)) return std::string();
  return std::string(out.data(), n);
}

bool BaseCodec::decompress(Cls cls, std::string_view packed, std::string* json) {
  unsigned long long size = ZSTD_getFrameContentSize(packed.data(), packed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) return false;
  json->resize(size);
  const Dict& dict = s_->dicts[static_cast<int>(cls)];
  size_t n = dict.d ? ZSTD_decompress_usingDDict(s_->dctx.get(), json->data(), json->size(),
                                                 packed.data(), packed.size(), dict.d.get())
                    : ZSTD_decompressDCtx(s_->dctx.get(), json->data(), json->size(), packed.data(),
                                          packed.size());
  return !ZSTD_isError(n) && n == size;
}

}  // namespace xr::xo
