// Dependency tracking of PoolModel: when a record is indexed or deleted, which other
// objects' derived fields change (metrics → owner, VDI → VMs and descendants, ...), and
// the reverse indices behind that. Pool thread only.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "xo/model_state.h"

namespace xr::xo {

// Ordered set of OpaqueRefs to re-emit.
class DirtySet {
 public:
  void add(std::string_view ref);
  const std::vector<std::string>& order() const { return order_; }
  void clear();

 private:
  std::vector<std::string> order_;
  std::unordered_set<std::string, StrHash, StrEq> seen_;
};

// Marks dependants of `ref` given its old data (nullptr for a new object) and new data,
// and updates the reverse indices. Call before storing `next` into the object.
void track_upsert(ModelState& st, Cls cls, const std::string& ref, const ObjData* prev,
                  const ObjData& next, DirtySet& dirty);
// Same for a deletion; call before erasing the object.
void track_delete(ModelState& st, const Obj& obj, const std::string& ref, DirtySet& dirty);

}  // namespace xr::xo
