# Owner: annotator (kpannotate). Pure parts go to the core library; the CLI and
# file/stdin reading go to the kpannotate program.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/verdict.c
  ${CMAKE_CURRENT_LIST_DIR}/summary.c
  ${CMAKE_CURRENT_LIST_DIR}/strtab.c
  ${CMAKE_CURRENT_LIST_DIR}/slab.c)
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/input_detect.c
  ${CMAKE_CURRENT_LIST_DIR}/decompress.c
  ${CMAKE_CURRENT_LIST_DIR}/input_json.c
  ${CMAKE_CURRENT_LIST_DIR}/input_par.c
  ${CMAKE_CURRENT_LIST_DIR}/input_atlas.c
  ${CMAKE_CURRENT_LIST_DIR}/input_scamper.c
  ${CMAKE_CURRENT_LIST_DIR}/annot_json.c
  ${CMAKE_CURRENT_LIST_DIR}/graph_dot.c)
# The kpannotate program: CLI and file/stdin reading.
list(APPEND KP_ANALYSIS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/main.c)
