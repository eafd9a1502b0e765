// JSON to MessagePack for tests (see json_msgpack.h), written with the product's MsgpackWriter.
#include "support/json_msgpack.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "common/msgpack_writer.h"

namespace sg::test {
namespace {

std::string fromHex(std::string_view hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

const cJSON* binHex(const cJSON* json) {
  if (!cJSON_IsObject(json) || cJSON_GetArraySize(json) != 1) return nullptr;
  const cJSON* hex = cJSON_GetObjectItemCaseSensitive(json, "$bin");
  return cJSON_IsString(hex) ? hex : nullptr;
}

void write(MsgpackWriter& w, const cJSON* json) {
  if (cJSON_IsNull(json)) return w.nil();
  if (cJSON_IsBool(json)) return w.boolean(cJSON_IsTrue(json));
  if (cJSON_IsString(json)) return w.str(json->valuestring);
  if (cJSON_IsNumber(json)) {
    const double value = json->valuedouble;
    if (std::floor(value) == value && std::fabs(value) < 9.0e15) {
      return w.integer(static_cast<int64_t>(value));
    }
    return w.float64(value);
  }
  if (const cJSON* hex = binHex(json)) return w.bin(fromHex(hex->valuestring));
  const bool is_object = cJSON_IsObject(json);
  const auto size = static_cast<uint32_t>(cJSON_GetArraySize(json));
  if (is_object) {
    w.map(size);
  } else {
    w.array(size);
  }
  for (const cJSON* child = json->child; child != nullptr; child = child->next) {
    if (is_object) w.str(child->string);
    write(w, child);
  }
}

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    const size_t end = dot == std::string_view::npos ? path.size() : dot;
    parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

cJSON* child(cJSON* json, const std::string& part) {
  if (cJSON_IsArray(json)) return cJSON_GetArrayItem(json, std::stoi(part));
  return cJSON_GetObjectItemCaseSensitive(json, part.c_str());
}

}  // namespace

Json parseJson(std::string_view text) {
  return Json(cJSON_ParseWithLength(text.data(), text.size()));
}

std::string jsonToMsgpack(const cJSON* json) {
  MsgpackWriter w;
  write(w, json);
  return w.take();
}

std::string jsonToMsgpack(std::string_view json_text) {
  Json json = parseJson(json_text);
  if (!json) throw std::invalid_argument("bad JSON in a test");
  return jsonToMsgpack(json.get());
}

const cJSON* jsonAt(const cJSON* json, std::string_view path) {
  auto* node = const_cast<cJSON*>(json);
  for (const std::string& part : splitPath(path)) {
    if (node == nullptr) return nullptr;
    node = child(node, part);
  }
  return node;
}

std::string editedMsgpack(std::string_view json_text, std::string_view path,
                          std::optional<std::string_view> value) {
  Json json = parseJson(json_text);
  std::vector<std::string> parts = splitPath(path);
  const std::string last = parts.back();
  parts.pop_back();
  cJSON* parent = json.get();
  for (const std::string& part : parts) parent = parent ? child(parent, part) : nullptr;
  if (parent == nullptr)
    throw std::invalid_argument("no such path in a test: " + std::string(path));
  cJSON* replacement = value ? cJSON_ParseWithLength(value->data(), value->size()) : nullptr;
  if (value && replacement == nullptr) throw std::invalid_argument("bad JSON value in a test");
  if (cJSON_IsArray(parent)) {
    const int index = std::stoi(last);
    if (replacement) {
      cJSON_ReplaceItemInArray(parent, index, replacement);
    } else {
      cJSON_DeleteItemFromArray(parent, index);
    }
  } else if (replacement) {
    if (cJSON_GetObjectItemCaseSensitive(parent, last.c_str())) {
      cJSON_ReplaceItemInObjectCaseSensitive(parent, last.c_str(), replacement);
    } else {
      cJSON_AddItemToObject(parent, last.c_str(), replacement);
    }
  } else {
    cJSON_DeleteItemFromObjectCaseSensitive(parent, last.c_str());
  }
  return jsonToMsgpack(json.get());
}

std::string readVector(std::string_view name) {
  std::ifstream in(std::string(SG_TEST_VECTORS_DIR) + "/" + std::string(name), std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace sg::test
