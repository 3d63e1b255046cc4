# Target blocklist: the IANA special-purpose registry table (pure, core
# library).
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/special_addr.c)
