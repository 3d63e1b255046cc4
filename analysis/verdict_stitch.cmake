# Owner: verdict (topo2). Doubletree prefixes for the transit verdict: pure, core library.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/verdict_stitch.c)
