# Owner: probe engine core (rx, tracer, schedule, pacer, stopset). Pure.
list(APPEND KP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/pacer.c
  ${CMAKE_CURRENT_LIST_DIR}/backoff.c
  ${CMAKE_CURRENT_LIST_DIR}/stopset.c
  ${CMAKE_CURRENT_LIST_DIR}/schedule.c
  ${CMAKE_CURRENT_LIST_DIR}/tracer.c
  ${CMAKE_CURRENT_LIST_DIR}/rx.c
  ${CMAKE_CURRENT_LIST_DIR}/rx_frame.c
  ${CMAKE_CURRENT_LIST_DIR}/rx_kptrace.c
  ${CMAKE_CURRENT_LIST_DIR}/jobs.c
  ${CMAKE_CURRENT_LIST_DIR}/admit.c
  ${CMAKE_CURRENT_LIST_DIR}/run_checks.c)
