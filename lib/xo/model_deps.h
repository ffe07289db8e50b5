// Dependency tracking of PoolModel: when a record is indexed or deleted, which other
// objects' derived fields change (metrics → owner, VDI → VMs and descendants, ...), and
// the reverse indices behind that. Pool thread only.
#pragma once

#include <algorithm>
#include <vector>

#include "xo/handle_table.h"
#include "xo/model_state.h"

namespace xr::xo {

// Ordered set of objects to re-emit.
class DirtySet {
 public:
  void add(Handle h);
  // For a batch that marks most objects (a full resync): a flat table by slot below n
  // (a hash set of 100k handles takes 5 MB more) instead of a hash set (small batches).
  void use_table(size_t n) { seen_.use_table(n); }
  const std::vector<Handle>& order() const { return order_; }

 private:
  std::vector<Handle> order_;
  // A slot reused within the batch (an object removed, another created) holds the newer
  // handle; the stale one, if added again, is emitted as nothing (it resolves to no object).
  HandleTable<char> seen_;
};

// Marks dependants of object `h` given its previous data (nullptr for a new object) and
// its new data, and updates the reverse indices. Call before storing `next`.
void track_upsert(ModelState& st, Cls cls, Handle h, const ObjData* prev, const ObjData& next,
                  DirtySet& dirty);
// Same for a deletion; call before erasing the object.
void track_delete(ModelState& st, Handle h, DirtySet& dirty);

}  // namespace xr::xo
