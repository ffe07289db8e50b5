// JsonView (base/json_view.h) over a RapidJSON value: used by tests, tools and any code
// holding a parsed document. Header only; the view must not outlive the document.
#pragma once

#include <rapidjson/document.h>

#include "base/json_view.h"

namespace xr {

class RapidJsonView {
 public:
  RapidJsonView() = default;
  explicit RapidJsonView(const rapidjson::Value* v) : v_(v) {}

  JsonKind kind() const {
    switch (v_->GetType()) {
      case rapidjson::kNullType: return JsonKind::kNull;
      case rapidjson::kFalseType: return JsonKind::kFalse;
      case rapidjson::kTrueType: return JsonKind::kTrue;
      case rapidjson::kNumberType: return JsonKind::kNumber;
      case rapidjson::kStringType: return JsonKind::kString;
      case rapidjson::kArrayType: return JsonKind::kArray;
      case rapidjson::kObjectType: return JsonKind::kObject;
    }
    return JsonKind::kNull;
  }
  double number() const { return v_->GetDouble(); }
  std::string_view string() const { return {v_->GetString(), v_->GetStringLength()}; }
  std::size_t size() const { return v_->IsArray() ? v_->Size() : v_->MemberCount(); }
  RapidJsonView at(std::size_t i) const { return RapidJsonView(&(*v_)[static_cast<rapidjson::SizeType>(i)]); }
  std::string_view key(std::size_t i) const {
    const auto& n = (v_->MemberBegin() + static_cast<long>(i))->name;
    return {n.GetString(), n.GetStringLength()};
  }
  RapidJsonView value(std::size_t i) const {
    return RapidJsonView(&(v_->MemberBegin() + static_cast<long>(i))->value);
  }
  bool find(std::string_view name, RapidJsonView* out) const {
    for (auto it = v_->MemberBegin(); it != v_->MemberEnd(); ++it) {
      if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == name) {
        *out = RapidJsonView(&it->value);
        return true;
      }
    }
    return false;
  }
  const rapidjson::Value* raw() const { return v_; }

 private:
  const rapidjson::Value* v_ = nullptr;
};
static_assert(JsonView<RapidJsonView>);

}  // namespace xr
