#include "xapi/jsonrpc_reader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <iterator>
#include <limits>
#include <vector>

namespace xr::xapi {
namespace {

// Builds Values from SAX events; streams items of result.<member>.
class Builder {
 public:
  Builder(const DecodeLimits& limits, StreamSpec& stream) : limits_(limits), stream_(stream) {}

  bool Null() {
    if (sax_scalar()) return sax_scalar_done([&] { stream_.sax->null(); });
    return put(Value());
  }
  bool Bool(bool b) {
    if (sax_scalar()) return sax_scalar_done([&] { stream_.sax->boolean(b); });
    return put(Value::boolean(b));
  }
  bool Int(int i) { return Int64(i); }
  bool Uint(unsigned u) { return Int64(u); }
  bool Int64(int64_t i) {
    if (sax_scalar()) return sax_scalar_done([&] { stream_.sax->integer(i); });
    return put(Value::integer(i));
  }
  bool Uint64(uint64_t u) {
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Int64(static_cast<int64_t>(u));
    const std::string digits = std::to_string(u);  // beyond int64: keep the digits
    if (sax_scalar()) return sax_scalar_done([&] { stream_.sax->string(digits); });
    return put(Value::string(digits));
  }
  bool Double(double d) {
    if (sax_scalar()) return sax_scalar_done([&] { stream_.sax->real(d); });
    return put(Value::real(d));
  }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (n > limits_.max_string_bytes) return fail(ErrorKind::kResourceExhausted, "string too long");
    if (sax_scalar()) return sax_scalar_done([&] { stream_.sax->string({s, n}); });
    return put(Value::string(std::string(s, n)));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (n > limits_.max_string_bytes) return fail(ErrorKind::kResourceExhausted, "key too long");
    if (sax_open_ > 0) {
      stream_.sax->key({s, n});
      return true;
    }
    frames_[depth_ - 1].key.assign(s, n);
    return true;
  }
  bool StartObject() {
    if (sax_starts()) return sax_open([&] { stream_.sax->start_object(); });
    return open(false, false);
  }
  bool EndObject(rapidjson::SizeType) {
    if (sax_open_ > 0) return sax_close([&] { stream_.sax->end_object(); });
    return close();
  }
  bool StartArray() {
    if (sax_starts()) return sax_open([&] { stream_.sax->start_array(); });
    bool streaming = (stream_.sink || stream_.sax) && depth_ == 2 && !frames_[0].is_array &&
                     frames_[0].key == "result" && !frames_[1].is_array &&
                     frames_[1].key == stream_.member;
    return open(true, streaming);
  }
  bool EndArray(rapidjson::SizeType) {
    if (sax_open_ > 0) return sax_close([&] { stream_.sax->end_array(); });
    return close();
  }

  Status error() const { return error_; }
  Value& root() { return root_; }

 private:
  // Containers collect into scratch vectors that keep their capacity for the next
  // container at the same depth; the Value gets an exact-size copy on close.
  struct Frame {
    std::vector<Member> members;
    std::vector<Value> items;
    bool is_array = false;
    bool streaming = false;
    std::string key;
  };

  // Items of the streamed array go to stream_.sax, when set, as they are parsed.
  bool in_sax_stream() const {
    return stream_.sax != nullptr && depth_ > 0 && frames_[depth_ - 1].streaming;
  }
  // A scalar event that belongs to a SAX item (inside one, or an item of its own).
  bool sax_scalar() const { return sax_open_ > 0 || in_sax_stream(); }
  template <typename F>
  bool sax_scalar_done(F&& event) {
    event();
    return sax_open_ > 0 || end_sax_item();
  }
  bool sax_starts() const { return sax_open_ > 0 || in_sax_stream(); }
  template <typename F>
  bool sax_open(F&& event) {
    if (depth_ + sax_open_ >= limits_.max_depth) return fail(ErrorKind::kResourceExhausted, "nesting too deep");
    ++sax_open_;
    event();
    return true;
  }
  template <typename F>
  bool sax_close(F&& event) {
    event();
    return --sax_open_ > 0 || end_sax_item();
  }
  bool end_sax_item() {
    Status s = stream_.sax->end_item();
    if (s.is_ok()) return true;
    error_ = std::move(s);
    return false;
  }

  bool fail(ErrorKind kind, std::string message) {
    error_ = Status(kind, "JSON-RPC: " + std::move(message));
    return false;
  }
  bool open(bool is_array, bool streaming) {
    if (depth_ >= limits_.max_depth) return fail(ErrorKind::kResourceExhausted, "nesting too deep");
    if (frames_.size() <= depth_) frames_.emplace_back();
    Frame& f = frames_[depth_++];
    f.is_array = is_array;
    f.streaming = streaming;
    f.members.clear();
    f.items.clear();
    f.key.clear();
    return true;
  }
  bool close() {
    Frame& f = frames_[depth_ - 1];
    Value v = f.is_array
                  ? Value::array(Value::Array(std::make_move_iterator(f.items.begin()),
                                              std::make_move_iterator(f.items.end())))
                  : Value::structure(Value::Struct(std::make_move_iterator(f.members.begin()),
                                                   std::make_move_iterator(f.members.end())));
    f.items.clear();
    f.members.clear();
    --depth_;
    return put(std::move(v));
  }
  bool put(Value v) {
    if (depth_ == 0) {
      root_ = std::move(v);
      return true;
    }
    Frame& f = frames_[depth_ - 1];
    if (!f.is_array) {
      f.members.push_back(Member{std::move(f.key), std::move(v)});
      f.key.clear();
    } else if (f.streaming) {
      Status s = stream_.sink(std::move(v));
      if (!s.is_ok()) {
        error_ = s;
        return false;
      }
    } else {
      f.items.push_back(std::move(v));
    }
    return true;
  }

  const DecodeLimits& limits_;
  StreamSpec& stream_;
  std::vector<Frame> frames_;  // frames_[0, depth_) are open containers
  size_t depth_ = 0;
  size_t sax_open_ = 0;  // containers open in the item being handed to stream_.sax
  Value root_;
  Status error_;
};

Status failure_from_error(const Value& err) {
  if (err.is_array()) return xapi_failure_from(err);  // v1: ["CODE", params...]
  std::string_view code = err.get_string("message");
  if (code.empty()) return Status(ErrorKind::kProtocol, "JSON-RPC: error without a message");
  Value desc = Value::array({Value::string(std::string(code))});
  if (const Value* data = err.get("data"); data && data->is_array()) {
    for (const Value& p : **data->as_array()) desc.mutable_array()->push_back(p);
  }
  return xapi_failure_from(desc);
}

// Runs RapidJSON over `stream`; the root value or the parse/sink error.
template <typename Stream>
Status parse_json(Stream& stream, const DecodeLimits& limits, StreamSpec& spec, Value* root) {
  Builder builder(limits, spec);
  rapidjson::Reader reader;
  // No kParseFullPrecisionFlag: its strtod has undefined behaviour on huge exponents
  // (found by the fuzzer); the default path is at most 1 ulp off, fine for XAPI floats.
  rapidjson::ParseResult ok =
      reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(stream,
                                                                                           builder);
  if (!builder.error().is_ok()) return builder.error();
  if (!ok) {
    return Status(ErrorKind::kProtocol, std::string("JSON-RPC: ") +
                                            rapidjson::GetParseError_En(ok.Code()) + " at offset " +
                                            std::to_string(ok.Offset()));
  }
  *root = std::move(builder.root());
  return Status::ok();
}

Result<Value> interpret(Value& root) {
  if (!root.is_struct()) return Status(ErrorKind::kProtocol, "JSON-RPC: response is not an object");
  if (const Value* err = root.get("error"); err && !err->is_nil()) return failure_from_error(*err);
  Value* result = const_cast<Value*>(root.get("result"));
  if (!result) return Status(ErrorKind::kProtocol, "JSON-RPC: response without result");
  return std::move(*result);
}

}  // namespace

JsonRpcReader::JsonRpcReader(DecodeLimits limits, StreamSpec stream)
    : limits_(limits), stream_(std::move(stream)) {}

Status JsonRpcReader::feed(std::string_view chunk) {
  if (!error_.is_ok()) return error_;
  if (body_.size() + chunk.size() > limits_.max_document_bytes)
    return error_ = Status(ErrorKind::kResourceExhausted, "JSON-RPC: response too large");
  body_.append(chunk);
  return Status::ok();
}

Result<Value> JsonRpcReader::finish() {
  if (!error_.is_ok()) return error_;
  if (finished_) return Status(ErrorKind::kInternal, "JSON-RPC: finish twice");
  finished_ = true;
  Value root;
  rapidjson::MemoryStream ms(body_.data(), body_.size());
  Status s = parse_json(ms, limits_, stream_, &root);
  std::string().swap(body_);
  XR_RETURN_IF_ERROR(s);
  return interpret(root);
}

Result<Value> jsonrpc_parse_pipe(ChunkPipe& pipe, const DecodeLimits& limits, StreamSpec stream) {
  ChunkPipeStream in(&pipe);
  Value root;
  Status s = parse_json(in, limits, stream, &root);
  pipe.close_consumer();
  XR_RETURN_IF_ERROR(s);
  return interpret(root);
}

namespace {
void write_value(rapidjson::Writer<rapidjson::StringBuffer>& w, const Value& v) {
  switch (v.type()) {
    case ValueType::kNil:
      w.Null();
      break;
    case ValueType::kString:
    case ValueType::kDateTime: {
      std::string_view s = *v.as_string();
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      break;
    }
    case ValueType::kInt:
      w.Int64(*v.as_int());
      break;
    case ValueType::kBool:
      w.Bool(*v.as_bool());
      break;
    case ValueType::kDouble:
      w.Double(*v.as_double());
      break;
    case ValueType::kArray:
      w.StartArray();
      for (const Value& item : **v.as_array()) write_value(w, item);
      w.EndArray();
      break;
    case ValueType::kStruct:
      w.StartObject();
      for (const Member& m : **v.as_struct()) {
        w.Key(m.name.data(), static_cast<rapidjson::SizeType>(m.name.size()));
        write_value(w, m.value);
      }
      w.EndObject();
      break;
  }
}
}  // namespace

std::string jsonrpc_request(std::string_view method, const std::vector<Value>& params, int64_t id) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("jsonrpc");
  w.String("2.0");
  w.Key("method");
  w.String(method.data(), static_cast<rapidjson::SizeType>(method.size()));
  w.Key("params");
  w.StartArray();
  for (const Value& p : params) write_value(w, p);
  w.EndArray();
  w.Key("id");
  w.Int64(id);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace xr::xapi
