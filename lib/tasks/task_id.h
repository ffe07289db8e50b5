// XO task ids: the creation time in ms written in base 36, left-padded with '0' to 9
// characters (so ids sort chronologically), then '-' and a random base-36 suffix (XO since
// PR #9734). Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace xr::tasks {

// "0mdd1basu" for 1753098047598.
std::string base36_time(int64_t ms);
// base36_time(ms) + "-" + 10 random base-36 characters.
std::string new_task_id(int64_t ms);
// True for the characters ids are made of ([0-9a-z-], 1..64 long): path parameters are
// checked with it before they reach the store.
bool plausible_task_id(std::string_view id);

}  // namespace xr::tasks
