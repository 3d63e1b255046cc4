# Owner: records (addr, trace). Pure.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/addr.c
  ${CMAKE_CURRENT_LIST_DIR}/htab.c
  ${CMAKE_CURRENT_LIST_DIR}/trace.c)
