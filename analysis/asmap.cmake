# Owner: IP-to-AS (trie, sources, façade). Pure parts go to the core; the
# parts that talk to c-ares or libmaxminddb go to kpio.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/trie.c
  ${CMAKE_CURRENT_LIST_DIR}/addr_class.c
  ${CMAKE_CURRENT_LIST_DIR}/asn_num.c
  ${CMAKE_CURRENT_LIST_DIR}/route_filter.c
  ${CMAKE_CURRENT_LIST_DIR}/asn_pfx2as.c
  ${CMAKE_CURRENT_LIST_DIR}/asn_bgpdump.c
  ${CMAKE_CURRENT_LIST_DIR}/cymru_parse.c
  ${CMAKE_CURRENT_LIST_DIR}/ixp_peeringdb.c)
list(APPEND KP_IO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/asn_mmdb.c
  ${CMAKE_CURRENT_LIST_DIR}/asn_cymru.c
  ${CMAKE_CURRENT_LIST_DIR}/rdns.c
  ${CMAKE_CURRENT_LIST_DIR}/asmap.c)

# kp-asmap: look addresses up with the IP-to-AS sources (checks by hand and
# the integration test tests/integration/test_cymru_dns.sh).
add_executable(kp-asmap ${CMAKE_CURRENT_LIST_DIR}/asmap_tool.c)
target_link_libraries(kp-asmap PRIVATE kpio)
