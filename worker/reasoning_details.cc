// Reasoning details merged from streamed fragments (see reasoning_details.h).
#include "worker/reasoning_details.h"

#include <algorithm>
#include <cstring>

namespace sg {
namespace {

bool isTextField(const char* key) {
  return std::strcmp(key, "text") == 0 || std::strcmp(key, "summary") == 0 ||
         std::strcmp(key, "data") == 0;
}

}  // namespace

void ReasoningDetails::reset() {
  complete_.reset();
  entries_.clear();
}

ReasoningDetails::Entry& ReasoningDetails::entryFor(const cJSON* fragment) {
  double index = 0;
  bool has_index = jsonNumber(fragment, "index", &index);
  if (has_index) {
    for (auto& entry : entries_) {
      if (entry.has_index && entry.index == index) return entry;
    }
  }
  entries_.push_back(Entry{has_index, index, JsonPtr(cJSON_CreateObject()), {}});
  return entries_.back();
}

void ReasoningDetails::addDelta(const cJSON* details) {
  if (details == nullptr || !cJSON_IsArray(details)) return;
  const cJSON* fragment = nullptr;
  cJSON_ArrayForEach(fragment, details) {
    if (!cJSON_IsObject(fragment)) continue;
    Entry& entry = entryFor(fragment);
    const cJSON* field = nullptr;
    cJSON_ArrayForEach(field, fragment) {
      if (cJSON_IsString(field) && isTextField(field->string)) {
        auto text = std::find_if(entry.texts.begin(), entry.texts.end(),
                                 [&](const auto& t) { return t.first == field->string; });
        if (text == entry.texts.end()) {
          entry.texts.emplace_back(field->string, field->valuestring);
        } else {
          text->second.append(field->valuestring);
        }
        continue;
      }
      // Other fields arrive once; a later null (e.g. "signature": null) does not erase a value.
      if (cJSON_IsNull(field) && cJSON_HasObjectItem(entry.fields.get(), field->string)) continue;
      cJSON_DeleteItemFromObjectCaseSensitive(entry.fields.get(), field->string);
      cJSON_AddItemToObject(entry.fields.get(), field->string, cJSON_Duplicate(field, true));
    }
  }
}

void ReasoningDetails::setComplete(const cJSON* details) {
  if (details == nullptr || !cJSON_IsArray(details) || cJSON_GetArraySize(details) == 0) return;
  entries_.clear();
  complete_.reset(cJSON_Duplicate(details, true));
}

std::string ReasoningDetails::json() const {
  if (complete_) return printJson(complete_.get());
  if (entries_.empty()) return {};
  JsonPtr array(cJSON_CreateArray());
  for (const auto& entry : entries_) {
    cJSON* item = cJSON_Duplicate(entry.fields.get(), true);
    for (const auto& [key, text] : entry.texts) {
      cJSON_DeleteItemFromObjectCaseSensitive(item, key.c_str());
      cJSON_AddStringToObject(item, key.c_str(), text.c_str());
    }
    cJSON_AddItemToArray(array.get(), item);
  }
  return printJson(array.get());
}

}  // namespace sg
