# Turns worker/lua/*.lua into a C++ source with one string constant per script, so the worker
# binary carries its Redis scripts (run with cmake -P; inputs SRC_DIR and OUT).
file(GLOB scripts ${SRC_DIR}/*.lua)
list(SORT scripts)
set(body "// Generated from worker/lua/*.lua by worker/lua/embed.cmake. Do not edit.\n")
string(APPEND body "#include \"worker/consumer_scripts.h\"\n\nnamespace sg::lua {\n")
foreach(script ${scripts})
  get_filename_component(name ${script} NAME_WE)
  file(READ ${script} text)
  string(APPEND body "const char* const ${name} = R\"sglua(${text})sglua\";\n")
endforeach()
string(APPEND body "}  // namespace sg::lua\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
