# ctest driver: builds tests/consumer against loom and runs it.
#   MODE=find_package      install the already-built loom into WORK_DIR/prefix, then find_package
#   MODE=add_subdirectory  configure the consumer with loom's source tree as a subdirectory
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

# The consumer is built the way loom was (sanitizer flags included), so that it can link.
set(consumer_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
set(prefix_path ${EXTRA_PREFIX})
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} --install ${LOOM_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  # A list does not survive being passed through `run`'s arguments: an initial cache does.
  file(WRITE ${WORK_DIR}/init.cmake
       "set(CMAKE_PREFIX_PATH \"${WORK_DIR}/prefix;${prefix_path}\" CACHE STRING \"\")\n")
  run(${CMAKE_COMMAND} -C ${WORK_DIR}/init.cmake -S ${LOOM_SOURCE_DIR}/tests/consumer
      -B ${WORK_DIR}/build ${consumer_args})
else()
  run(${CMAKE_COMMAND} -S ${LOOM_SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build ${consumer_args}
      -DLOOM_SUBDIRECTORY=${LOOM_SOURCE_DIR} "-DCMAKE_PREFIX_PATH=${prefix_path}")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
message(STATUS "consumer (${MODE}) built and ran")
