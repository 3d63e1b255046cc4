# Owner: probe codec (decoder, identity, method tables). Pure.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/decode.c
  ${CMAKE_CURRENT_LIST_DIR}/identity.c
  ${CMAKE_CURRENT_LIST_DIR}/probe_payload.c
  ${CMAKE_CURRENT_LIST_DIR}/methods.c
  ${CMAKE_CURRENT_LIST_DIR}/method_icmp_paris.c
  ${CMAKE_CURRENT_LIST_DIR}/method_udp_paris.c
  ${CMAKE_CURRENT_LIST_DIR}/method_tcp_syn.c
  ${CMAKE_CURRENT_LIST_DIR}/method_udp.c)
