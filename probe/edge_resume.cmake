# Owner: prober edges (resume). The pure parts of `kptrace sweep --resume`
# (which pairs remain, id continuation, pcap tail) go into kpio so that unit
# tests and the fuzz target link them.
list(APPEND KP_IO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/sweep_resume.c)
