#include "xapi/xmlrpc_reader.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <optional>
#include <vector>

#include "xapi/wire_text.h"

namespace xr::xapi {
namespace {

enum class Tag {
  kOther,
  kValue,
  kString,
  kInt,
  kBoolean,
  kDouble,
  kDateTime,
  kBase64,
  kNil,
  kArray,
  kData,
  kStruct,
  kMember,
  kName,
  kFault,
  kStructural
};

Tag tag_of(const char* n) {
  switch (n[0]) {
    case 'v':
      if (!std::strcmp(n, "value")) return Tag::kValue;
      break;
    case 's':
      if (!std::strcmp(n, "string")) return Tag::kString;
      if (!std::strcmp(n, "struct")) return Tag::kStruct;
      break;
    case 'i':
      if (!std::strcmp(n, "i4") || !std::strcmp(n, "int") || !std::strcmp(n, "i8"))
        return Tag::kInt;
      break;
    case 'b':
      if (!std::strcmp(n, "boolean")) return Tag::kBoolean;
      if (!std::strcmp(n, "base64")) return Tag::kBase64;
      break;
    case 'd':
      if (!std::strcmp(n, "double")) return Tag::kDouble;
      if (!std::strcmp(n, "data")) return Tag::kData;
      if (!std::strcmp(n, "dateTime.iso8601")) return Tag::kDateTime;
      break;
    case 'n':
      if (!std::strcmp(n, "name")) return Tag::kName;
      if (!std::strcmp(n, "nil")) return Tag::kNil;
      break;
    case 'a':
      if (!std::strcmp(n, "array")) return Tag::kArray;
      break;
    case 'm':
      if (!std::strcmp(n, "member")) return Tag::kMember;
      if (!std::strcmp(n, "methodResponse")) return Tag::kStructural;
      break;
    case 'p':
      if (!std::strcmp(n, "params") || !std::strcmp(n, "param")) return Tag::kStructural;
      break;
    case 'f':
      if (!std::strcmp(n, "fault")) return Tag::kFault;
      break;
    default:
      break;
  }
  return Tag::kOther;
}

enum class Kind : uint8_t { kUntyped, kLeaf, kArray, kStruct };

struct Frame {
  Value value;  // leaf value
  // Containers are collected in scratch vectors that keep their capacity from one
  // container to the next at this depth; the Value gets an exact-size copy on close
  // (one allocation, no growth reallocations, no slack kept in memory).
  std::vector<Member> members;
  std::vector<Value> items;
  Kind kind = Kind::kUntyped;
  bool streaming = false;  // an array whose items go to the stream sink
  std::string member_name;
};

Result<Value> decode_leaf(Tag tag, std::string& text);

}  // namespace

struct XmlRpcReader::State {
  DecodeLimits limits;
  StreamSpec stream;
  bool envelope = true;
  xmlParserCtxtPtr ctxt = nullptr;
  std::vector<Frame> frames;  // frames[0, depth) are open <value>s
  size_t depth = 0;
  std::string text;
  bool collect = false;
  Tag leaf = Tag::kOther;
  std::optional<Value> root;
  bool fault = false;
  bool finished = false;
  uint64_t fed = 0;
  Status error;

  void fail(ErrorKind kind, std::string message) {
    if (error.is_ok()) error = Status(kind, std::move(message));
    if (ctxt) xmlStopParser(ctxt);
  }
  Frame* top() { return depth ? &frames[depth - 1] : nullptr; }

  void start(Tag tag);
  void end(Tag tag);
  void open_value();
  void close_value();
  void open_child(Tag tag);
  void attach(Value v);
  bool is_stream_array() const;
};

bool XmlRpcReader::State::is_stream_array() const {
  // envelope struct > "Value" member: result struct > stream member: this array
  return envelope && stream.sink && depth == 3 && frames[0].kind == Kind::kStruct &&
         frames[0].member_name == "Value" && frames[1].kind == Kind::kStruct &&
         frames[1].member_name == stream.member;
}

void XmlRpcReader::State::open_value() {
  Frame* parent = top();
  if (parent ? (parent->kind != Kind::kArray && parent->kind != Kind::kStruct) : root.has_value())
    return fail(ErrorKind::kProtocol, "XML-RPC: <value> in an unexpected place");
  if (depth >= limits.max_depth)
    return fail(ErrorKind::kResourceExhausted, "XML-RPC: nesting too deep");
  if (frames.size() <= depth) frames.emplace_back();
  Frame& f = frames[depth++];
  f.kind = Kind::kUntyped;
  f.streaming = false;
  f.member_name.clear();
  text.clear();
  collect = true;
}

void XmlRpcReader::State::open_child(Tag tag) {
  Frame* f = top();
  if (!f || f->kind != Kind::kUntyped)
    return fail(ErrorKind::kProtocol, "XML-RPC: typed element outside an empty <value>");
  text.clear();
  if (tag == Tag::kArray) {
    f->kind = Kind::kArray;
    f->items.clear();
    f->streaming = is_stream_array();
    collect = false;
  } else if (tag == Tag::kStruct) {
    f->kind = Kind::kStruct;
    f->members.clear();
    collect = false;
  } else {
    f->kind = Kind::kLeaf;
    f->value = Value();
    leaf = tag;
    collect = tag != Tag::kNil;
  }
}

void XmlRpcReader::State::attach(Value v) {
  Frame* parent = top();
  collect = false;
  if (!parent) {
    root = std::move(v);
  } else if (parent->kind == Kind::kArray) {
    if (parent->streaming) {
      Status s = stream.sink(std::move(v));
      if (!s.is_ok()) {
        error = s;
        xmlStopParser(ctxt);
      }
    } else {
      parent->items.push_back(std::move(v));
    }
  } else {
    // The name is consumed: the next <name> refills it.
    parent->members.push_back(Member{std::move(parent->member_name), std::move(v)});
    parent->member_name.clear();
  }
}

void XmlRpcReader::State::close_value() {
  Frame& f = frames[depth - 1];
  Value v;
  switch (f.kind) {
    case Kind::kUntyped:
      v = Value::string(std::move(text));
      break;
    case Kind::kLeaf:
      v = std::move(f.value);
      break;
    case Kind::kArray:
      v = Value::array(Value::Array(std::make_move_iterator(f.items.begin()),
                                    std::make_move_iterator(f.items.end())));
      f.items.clear();
      break;
    case Kind::kStruct:
      v = Value::structure(Value::Struct(std::make_move_iterator(f.members.begin()),
                                         std::make_move_iterator(f.members.end())));
      f.members.clear();
      break;
  }
  f.value = Value();
  --depth;
  attach(std::move(v));
}

void XmlRpcReader::State::start(Tag tag) {
  switch (tag) {
    case Tag::kValue:
      return open_value();
    case Tag::kString:
    case Tag::kInt:
    case Tag::kBoolean:
    case Tag::kDouble:
    case Tag::kDateTime:
    case Tag::kBase64:
    case Tag::kNil:
    case Tag::kArray:
    case Tag::kStruct:
      return open_child(tag);
    case Tag::kName:
      if (!top() || top()->kind != Kind::kStruct)
        return fail(ErrorKind::kProtocol, "XML-RPC: <name> outside <struct>");
      text.clear();
      collect = true;
      return;
    case Tag::kFault:
      fault = true;
      return;
    case Tag::kData:
    case Tag::kMember:
    case Tag::kStructural:
      collect = false;
      return;
    case Tag::kOther:
      return fail(ErrorKind::kProtocol, "XML-RPC: unknown element");
  }
}

void XmlRpcReader::State::end(Tag tag) {
  switch (tag) {
    case Tag::kValue:
      return close_value();
    case Tag::kName:
      top()->member_name.swap(text);
      collect = false;
      return;
    case Tag::kString:
    case Tag::kInt:
    case Tag::kBoolean:
    case Tag::kDouble:
    case Tag::kDateTime:
    case Tag::kBase64:
    case Tag::kNil: {
      collect = false;
      Result<Value> v = decode_leaf(leaf, text);
      if (!v.is_ok()) return fail(ErrorKind::kProtocol, "XML-RPC: " + v.status().message());
      top()->value = std::move(v).value();
      return;
    }
    default:
      return;
  }
}

namespace {

Result<Value> decode_leaf(Tag tag, std::string& text) {
  switch (tag) {
    case Tag::kString:
      return Value::string(std::move(text));
    case Tag::kNil:
      return Value();
    case Tag::kDateTime:
      return Value::datetime(std::string(trim_space(text)));
    case Tag::kInt: {
      XR_ASSIGN_OR_RETURN(int64_t i, parse_int_text(trim_space(text)));
      return Value::integer(i);
    }
    case Tag::kBoolean: {
      XR_ASSIGN_OR_RETURN(bool b, parse_bool_text(trim_space(text)));
      return Value::boolean(b);
    }
    case Tag::kDouble: {
      XR_ASSIGN_OR_RETURN(double d, parse_double_text(trim_space(text)));
      return Value::real(d);
    }
    case Tag::kBase64: {
      XR_ASSIGN_OR_RETURN(std::string bytes, base64_decode(text));
      return Value::string(std::move(bytes));
    }
    default:
      return Status(ErrorKind::kInternal, "not a leaf");
  }
}

using State = XmlRpcReader::State;

void on_start(void* ctx, const xmlChar* localname, const xmlChar*, const xmlChar*, int,
              const xmlChar**, int, int, const xmlChar**) {
  auto* st = static_cast<State*>(ctx);
  if (st->error.is_ok()) st->start(tag_of(reinterpret_cast<const char*>(localname)));
}

void on_end(void* ctx, const xmlChar* localname, const xmlChar*, const xmlChar*) {
  auto* st = static_cast<State*>(ctx);
  if (st->error.is_ok()) st->end(tag_of(reinterpret_cast<const char*>(localname)));
}

void on_characters(void* ctx, const xmlChar* ch, int len) {
  auto* st = static_cast<State*>(ctx);
  if (!st->collect || !st->error.is_ok()) return;
  if (st->text.size() + static_cast<size_t>(len) > st->limits.max_string_bytes)
    return st->fail(ErrorKind::kResourceExhausted, "XML-RPC: string too long");
  st->text.append(reinterpret_cast<const char*>(ch), static_cast<size_t>(len));
}

void on_dtd(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  // No DTD, hence no entity declarations: closes the door on entity expansion attacks.
  static_cast<State*>(ctx)->fail(ErrorKind::kProtocol, "XML-RPC: DTD not allowed");
}

void on_error(void* ctx, const xmlError* err) {
  auto* st = static_cast<State*>(ctx);
  if (err && err->level >= XML_ERR_ERROR) {
    std::string msg = err->message ? err->message : "malformed XML";
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    st->fail(ErrorKind::kProtocol, "XML-RPC: " + msg);
  }
}

void on_error_fwd(void* user, xmlErrorPtr err) { on_error(user, err); }

xmlSAXHandler make_handler() {
  xmlSAXHandler h;
  std::memset(&h, 0, sizeof h);
  h.initialized = XML_SAX2_MAGIC;
  h.startElementNs = on_start;
  h.endElementNs = on_end;
  h.characters = on_characters;
  h.cdataBlock = on_characters;
  h.internalSubset = on_dtd;
  h.serror = on_error_fwd;
  return h;
}

}  // namespace

XmlRpcReader::XmlRpcReader(DecodeLimits limits, StreamSpec stream, bool envelope)
    : state_(std::make_unique<State>()) {
  state_->limits = limits;
  state_->stream = std::move(stream);
  state_->envelope = envelope;
  state_->frames.reserve(16);
  xmlSAXHandler handler = make_handler();
  state_->ctxt = xmlCreatePushParserCtxt(&handler, state_.get(), nullptr, 0, nullptr);
  if (!state_->ctxt) {
    state_->error = Status(ErrorKind::kInternal, "XML-RPC: cannot create parser");
    return;
  }
  xmlCtxtUseOptions(state_->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

XmlRpcReader::~XmlRpcReader() {
  if (state_->ctxt) xmlFreeParserCtxt(state_->ctxt);
}

Status XmlRpcReader::feed(std::string_view chunk) {
  State& st = *state_;
  if (!st.error.is_ok()) return st.error;
  if (st.finished) return Status(ErrorKind::kInternal, "XML-RPC: feed after finish");
  st.fed += chunk.size();
  if (st.fed > st.limits.max_document_bytes)
    st.fail(ErrorKind::kResourceExhausted, "XML-RPC: response too large");
  constexpr size_t kPiece = size_t{1} << 28;  // xmlParseChunk takes an int
  while (st.error.is_ok() && !chunk.empty()) {
    size_t n = std::min(chunk.size(), kPiece);
    int rc = xmlParseChunk(st.ctxt, chunk.data(), static_cast<int>(n), 0);
    if (rc != 0 && st.error.is_ok()) st.fail(ErrorKind::kProtocol, "XML-RPC: malformed XML");
    chunk.remove_prefix(n);
  }
  return st.error;
}

Result<Value> XmlRpcReader::finish() {
  State& st = *state_;
  if (st.error.is_ok() && !st.finished) {
    st.finished = true;
    int rc = xmlParseChunk(st.ctxt, nullptr, 0, 1);
    if (rc != 0 && st.error.is_ok())
      st.fail(ErrorKind::kProtocol, "XML-RPC: malformed or truncated XML");
  }
  if (!st.error.is_ok()) return st.error;
  if (!st.root) return Status(ErrorKind::kProtocol, "XML-RPC: response carries no value");
  Value root = std::move(*st.root);
  st.root.reset();
  if (st.fault) {
    return Status(ErrorKind::kProtocol,
                  "XML-RPC fault: " + std::string(root.get_string("faultString", "?")));
  }
  if (!st.envelope) return root;
  const Value::Struct* members = root.is_struct() ? *root.as_struct() : nullptr;
  if (!members || members->empty() || members->front().name != "Status") return root;
  std::string_view status = root.get_string("Status");
  if (status == "Success") {
    Value* v = const_cast<Value*>(root.get("Value"));
    if (!v) return Status(ErrorKind::kProtocol, "XML-RPC: Success without Value");
    return std::move(*v);
  }
  const Value* desc = root.get("ErrorDescription");
  if (status != "Failure" || !desc) return Status(ErrorKind::kProtocol, "XML-RPC: bad envelope");
  return xapi_failure_from(*desc);
}

Result<Value> xmlrpc_decode_value(std::string_view fragment, DecodeLimits limits) {
  if (trim_space(fragment).empty()) return Value::string("");
  XmlRpcReader reader(limits, {}, /*envelope=*/false);
  XR_RETURN_IF_ERROR(reader.feed("<methodResponse><params><param>"));
  XR_RETURN_IF_ERROR(reader.feed(fragment));
  XR_RETURN_IF_ERROR(reader.feed("</param></params></methodResponse>"));
  return reader.finish();
}

}  // namespace xr::xapi
