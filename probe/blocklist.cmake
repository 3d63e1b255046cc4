# Target blocklist: the IANA special-purpose registry table, the default /
# block / allow lists and the line syntax of their files (pure, core
# library); reading the files (kpio).
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/special_addr.c
  ${CMAKE_CURRENT_LIST_DIR}/blocklist.c
  ${CMAKE_CURRENT_LIST_DIR}/blocklist_parse.c)
list(APPEND KP_IO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/blocklist_file.c)
