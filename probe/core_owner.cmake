# Owner: prober engine (harsh). Pure: which trace ids a run started.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/trace_owner.c)
