// IncomingMessage to and from MessagePack, shared by the envelope (section 1) and by
// fetch_messages results (section 3). Internal to the bus codec: others call bus_codec.h.
// The rules it applies are listed there.
#pragma once

#include "common/bus_types.h"
#include "common/field_reader.h"
#include "common/msgpack_writer.h"

namespace sg {

// Reads the IncomingMessage map at `at` (kAbsent: missing_field:<path>).
[[nodiscard]] bool readIncomingMessage(FieldReader& reader, size_t at, const FieldPath& path,
                                       IncomingMessage* message);

void writeIncomingMessage(MsgpackWriter& writer, const IncomingMessage& message);

}  // namespace sg
