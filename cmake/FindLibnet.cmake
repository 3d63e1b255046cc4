# SPDX-License-Identifier: BSD-2-Clause
# Debian's libnet1-dev (1.1.6) ships libnet-config but no pkg-config file.
# Prefer pkg-config when a newer libnet provides one; fall back to
# libnet-config; fail clearly otherwise.
pkg_check_modules(LIBNET QUIET IMPORTED_TARGET libnet)
if(LIBNET_FOUND)
  add_library(Libnet::Libnet ALIAS PkgConfig::LIBNET)
else()
  find_program(LIBNET_CONFIG libnet-config)
  find_path(LIBNET_INCLUDE_DIR libnet.h)
  find_library(LIBNET_LIBRARY net)
  if(NOT LIBNET_INCLUDE_DIR OR NOT LIBNET_LIBRARY)
    message(FATAL_ERROR "libnet not found: install libnet1-dev (scripts/setup-deps)")
  endif()
  set(LIBNET_DEFS "")
  if(LIBNET_CONFIG)
    execute_process(COMMAND ${LIBNET_CONFIG} --defines
      OUTPUT_VARIABLE LIBNET_DEFS OUTPUT_STRIP_TRAILING_WHITESPACE)
    separate_arguments(LIBNET_DEFS UNIX_COMMAND "${LIBNET_DEFS}")
  endif()
  add_library(Libnet::Libnet UNKNOWN IMPORTED)
  set_target_properties(Libnet::Libnet PROPERTIES
    IMPORTED_LOCATION "${LIBNET_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LIBNET_INCLUDE_DIR}"
    INTERFACE_COMPILE_OPTIONS "${LIBNET_DEFS}")
  message(STATUS "libnet: ${LIBNET_LIBRARY} (defines: ${LIBNET_DEFS})")
endif()
