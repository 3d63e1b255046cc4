# Numbers from outside data within explicit limits (JSON values, decimal
# text), shared by every reader. Pure.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/json_num.c)
