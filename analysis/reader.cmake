# The one reader of input files (plain, gzip, bzip2; by line or JSON record)
# and the stream decoder under it. Core library: every file reader uses it.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/reader.c)
