# Owner: replay. Capture-file reading (kpio), foreign-probe classifiers (pure
# core) and the `kptrace replay` subcommand.
list(APPEND KP_IO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/pcap_file.c
  ${CMAKE_CURRENT_LIST_DIR}/replay.c)
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/classify.c
  ${CMAKE_CURRENT_LIST_DIR}/classify_traceroute.c
  ${CMAKE_CURRENT_LIST_DIR}/classify_mtr.c
  ${CMAKE_CURRENT_LIST_DIR}/classify_tcptraceroute.c
  ${CMAKE_CURRENT_LIST_DIR}/classify_scamper.c)
list(APPEND KP_PROBE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/cmd_replay.c)
