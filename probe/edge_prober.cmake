# Owner: prober edges. Option parsing and the prober's system edges (raw
# socket, live capture, privilege drop, c-ares resolution) go into kpio so
# that unit tests can link them; main.c and the subcommands make kptrace.
list(APPEND KP_IO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/options.c
  ${CMAKE_CURRENT_LIST_DIR}/net_raw.c
  ${CMAKE_CURRENT_LIST_DIR}/capture.c
  ${CMAKE_CURRENT_LIST_DIR}/privdrop.c
  ${CMAKE_CURRENT_LIST_DIR}/resolve.c
  ${CMAKE_CURRENT_LIST_DIR}/sweep_meta.c)
list(APPEND KP_PROBE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/main.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_trace.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_sweep.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_common.c
  ${CMAKE_CURRENT_LIST_DIR}/progress.c
  ${CMAKE_CURRENT_LIST_DIR}/engine.c
  # owned by replay; listed here so that main.c links (CMake drops duplicates)
  ${CMAKE_CURRENT_LIST_DIR}/cmd_replay.c)
