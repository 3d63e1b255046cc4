# Owner: prober edges. Pure output forms of a kp_trace (JSON line, text, Atlas).
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/trace_json.c
  ${CMAKE_CURRENT_LIST_DIR}/trace_json_scan.c
  ${CMAKE_CURRENT_LIST_DIR}/output_text.c
  ${CMAKE_CURRENT_LIST_DIR}/output_atlas.c)
