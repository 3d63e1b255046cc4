# Owner: prober engine (harsh). Pure: the traces in flight (id -> what they trace).
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/trace_owner.c)
