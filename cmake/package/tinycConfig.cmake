# tinycConfig.cmake: the CMake package of an installed tinyc.
#
#   find_package(tinyc CONFIG REQUIRED)
#   tinyc_add_model(kws MODEL kws.onnx TARGET cortex-m7 [EMIT obj|c] [OPTIONS -Os ...])
#   target_link_libraries(firmware PRIVATE kws)      # and #include "kws.h"
#
# Every path is found from this file's own place in the installed tree
# (<prefix>/lib/cmake/tinyc), so the tree can be installed under any prefix and
# moved afterwards.

get_filename_component(_tinyc_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

set(TINYC_EXECUTABLE "${_tinyc_prefix}/bin/tinyc" CACHE FILEPATH "The tinyc compiler")
# tinyc_abi.h and tinyc_runtime.h: the names the generated code and the runtime share.
set(TINYC_INCLUDE_DIR "${_tinyc_prefix}/include/tinyc")
unset(_tinyc_prefix)

if(NOT EXISTS "${TINYC_EXECUTABLE}")
  set(tinyc_FOUND FALSE)
  set(tinyc_NOT_FOUND_MESSAGE "tinyc's package at ${CMAKE_CURRENT_LIST_DIR} has no compiler at ${TINYC_EXECUTABLE}")
  return()
endif()

if(NOT TARGET tinyc::tinyc)
  add_executable(tinyc::tinyc IMPORTED)
  set_target_properties(tinyc::tinyc PROPERTIES IMPORTED_LOCATION "${TINYC_EXECUTABLE}")
endif()

# tinyc_add_model(<name> MODEL <file> TARGET <tinyc-target> [EMIT obj|c] [OPTIONS <tinyc options>...])
#
# Compiles MODEL at build time, and again whenever the model file or the compiler
# changes, into a static library target <name> whose include directory holds
# <name>.h; the C symbols are <name>_run() and <NAME>_* (a name that is not a C
# identifier is made one). EMIT obj (the default) links tinyc's object file;
# EMIT c compiles tinyc's C source with the project's C compiler instead.
# OPTIONS are passed to tinyc as they are (for example -Os, --mfloat-abi=softfp).
function(tinyc_add_model name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MODEL;TARGET;EMIT" "OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tinyc_add_model(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_MODEL)
    message(FATAL_ERROR "tinyc_add_model(${name}): MODEL <file.onnx> is required")
  endif()
  if(NOT arg_TARGET)
    message(FATAL_ERROR "tinyc_add_model(${name}): TARGET <tinyc target> is required (tinyc --list-targets)")
  endif()
  if(NOT arg_EMIT)
    set(arg_EMIT obj)
  endif()
  if(arg_EMIT STREQUAL "obj")
    set(suffix ".o")
  elseif(arg_EMIT STREQUAL "c")
    set(suffix ".c")
  else()
    message(FATAL_ERROR "tinyc_add_model(${name}): EMIT must be obj or c, not '${arg_EMIT}'")
  endif()

  get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "tinyc_add_model(${name}): model ${model} does not exist")
  endif()
  string(MAKE_C_IDENTIFIER "${name}" c_name)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/tinyc/${name}")
  set(output "${dir}/${c_name}${suffix}")
  set(header "${dir}/${c_name}.h")

  add_custom_command(
    OUTPUT "${output}" "${header}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${dir}"
    COMMAND "${TINYC_EXECUTABLE}" "${model}" "-target=${arg_TARGET}" "-name=${c_name}"
            "--emit=${arg_EMIT}" -o "${output}" "--header=${header}" ${arg_OPTIONS}
    DEPENDS "${model}" "${TINYC_EXECUTABLE}"
    COMMENT "tinyc: ${arg_MODEL} for ${arg_TARGET} -> ${c_name}${suffix}, ${c_name}.h"
    VERBATIM)

  add_library(${name} STATIC "${output}" "${header}")
  if(arg_EMIT STREQUAL "obj")
    set_source_files_properties("${output}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  endif()
  set_target_properties(${name} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${name} PUBLIC "${dir}" "${TINYC_INCLUDE_DIR}")
endfunction()
