# The `docs` target: loom's API reference, built by Doxygen from the comments of the public
# headers (include/loom/**, without detail/). Included by the top CMakeLists.txt when Doxygen is
# found; not part of `all`. A Doxygen warning fails the target (cmake/Doxyfile.in).
#   cmake --build build/release --target docs     # -> build/release/docs/html/index.html
set(LOOM_DOCS_OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/docs)
configure_file(${CMAKE_CURRENT_LIST_DIR}/Doxyfile.in ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile @ONLY)
add_custom_target(docs
  COMMAND Doxygen::doxygen ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  COMMENT "API reference (Doxygen): ${LOOM_DOCS_OUTPUT}/html/index.html"
  VERBATIM)
