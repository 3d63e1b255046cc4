# Owner: replay. Capture-file reading (kpio), foreign-probe classifiers (pure
# core) and the `kptrace replay` subcommand.
list(APPEND KP_IO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/pcap_file.c)
