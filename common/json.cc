// JSON helpers over cJSON (see json.h).
#include "common/json.h"

#include <cstdio>

namespace sg {

JsonPtr parseJson(std::string_view text) {
  if (text.empty()) return nullptr;
  const char* end = nullptr;
  JsonPtr value(cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false));
  if (!value || end == nullptr) return nullptr;
  const char* limit = text.data() + text.size();
  for (const char* p = end; p < limit; ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return nullptr;
  }
  return value;
}

std::string printJson(const cJSON* item) {
  if (item == nullptr) return {};
  char* printed = cJSON_PrintUnformatted(item);
  if (printed == nullptr) return {};
  std::string out(printed);
  cJSON_free(printed);
  return out;
}

void appendJsonString(std::string& out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the current run of bytes that need no escaping
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

const cJSON* jsonField(const cJSON* object, const char* key) {
  if (object == nullptr || !cJSON_IsObject(object)) return nullptr;
  return cJSON_GetObjectItemCaseSensitive(object, key);
}

std::string_view jsonString(const cJSON* object, const char* key, std::string_view fallback) {
  const cJSON* item = jsonField(object, key);
  if (item == nullptr || !cJSON_IsString(item) || item->valuestring == nullptr) return fallback;
  return item->valuestring;
}

bool jsonNumber(const cJSON* object, const char* key, double* value) {
  const cJSON* item = jsonField(object, key);
  if (item == nullptr || !cJSON_IsNumber(item)) return false;
  *value = item->valuedouble;
  return true;
}

}  // namespace sg
