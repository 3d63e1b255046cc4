# SPDX-License-Identifier: BSD-2-Clause
# Install rules beyond the programs, and the Debian package (CPack DEB).
#
#   cmake -DKP_PACKAGE=ON ... && cpack -G DEB     (what scripts/package does)
#
# Always installed: the operations scripts next to the programs (they find
# kptrace and kpannotate on PATH first). With KP_PACKAGE=ON the Debian
# layout is installed too: compressed man pages, the systemd units in
# /lib/systemd/system, their conf helper in /usr/libexec/kptrace, the docs,
# example confs, copyright and changelog in /usr/share/doc/kptrace. See
# docs/hacking.md, "The Debian package".
option(KP_PACKAGE "Install the Debian package layout (man pages gzipped, systemd units, docs)" OFF)

install(PROGRAMS scripts/kp-sweep scripts/kp-collect scripts/kp-report
  DESTINATION ${CMAKE_INSTALL_BINDIR})

set(KP_MANPAGES man/kptrace.1 man/kpannotate.1)
if(NOT KP_PACKAGE)
  # Hand-written mdoc(7) manuals (man/); `man kptrace` after an install.
  install(FILES ${KP_MANPAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  return()
endif()

find_program(KP_GZIP gzip REQUIRED)
set(KP_PKG_DIR ${CMAKE_BINARY_DIR}/package)
set(KP_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/kptrace)

# Man pages and the changelog, compressed the Debian way (-n: no name or
# time stamp inside, so that the package is reproducible).
set(KP_GZ_OUT "")
foreach(src ${KP_MANPAGES} deploy/debian/changelog)
  get_filename_component(name ${src} NAME)
  set(out ${KP_PKG_DIR}/${name}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${KP_PKG_DIR}
    COMMAND ${KP_GZIP} -9n -c ${CMAKE_SOURCE_DIR}/${src} > ${out}
    DEPENDS ${CMAKE_SOURCE_DIR}/${src} VERBATIM)
  list(APPEND KP_GZ_OUT ${out})
endforeach()
# The scripts' and kp-asmap's pages are made from their --help by help2man,
# so that they say what the program does whatever changes.
find_program(KP_HELP2MAN help2man REQUIRED)
set(KP_HELP_PAGES
  "kp-sweep|${CMAKE_SOURCE_DIR}/scripts/kp-sweep|one scheduled kptrace sweep on a vantage point"
  "kp-collect|${CMAKE_SOURCE_DIR}/scripts/kp-collect|pull finished kptrace sweeps from vantage points into one archive"
  "kp-report|${CMAKE_SOURCE_DIR}/scripts/kp-report|summarise a kp-collect archive: which transit carried each /24, over time"
  "kp-asmap|$<TARGET_FILE:kp-asmap>|look addresses up in kpannotate's IP-to-AS sources")
foreach(entry ${KP_HELP_PAGES})
  string(REPLACE "|" ";" entry "${entry}")
  list(GET entry 0 name)
  list(GET entry 1 prog)
  list(GET entry 2 what)
  set(out ${KP_PKG_DIR}/${name}.1.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${KP_PKG_DIR}
    COMMAND ${KP_HELP2MAN} -N --no-discard-stderr --version-string=${PROJECT_VERSION}
      --name=${what} --include=${CMAKE_SOURCE_DIR}/deploy/debian/see-also.h2m
      --output=${KP_PKG_DIR}/${name}.1 ${prog}
    COMMAND ${KP_GZIP} -9nf ${KP_PKG_DIR}/${name}.1
    DEPENDS ${prog} ${CMAKE_SOURCE_DIR}/deploy/debian/see-also.h2m VERBATIM)
  list(APPEND KP_GZ_OUT ${out})
  list(APPEND KP_HELP_MAN ${out})
endforeach()
add_custom_target(kp_package_files ALL DEPENDS ${KP_GZ_OUT})
install(FILES ${KP_PKG_DIR}/kptrace.1.gz ${KP_PKG_DIR}/kpannotate.1.gz ${KP_HELP_MAN}
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${KP_PKG_DIR}/changelog.gz DESTINATION ${KP_DOCDIR})

# debian/copyright in the machine-readable format, the licence text from LICENSE.
file(READ ${CMAKE_SOURCE_DIR}/LICENSE KP_LICENSE)
string(REGEX REPLACE "^[^\n]*\n\n[^\n]*\n[^\n]*\n\n" "" KP_LICENSE_BODY "${KP_LICENSE}")
string(REGEX MATCH "Copyright \\(c\\) ([^\n]*)" _ "${KP_LICENSE}")
string(REPLACE ", " " " KP_COPYRIGHT "${CMAKE_MATCH_1}")
string(REGEX REPLACE "\n\n" "\n.\n" KP_LICENSE_BODY "${KP_LICENSE_BODY}")
string(REGEX REPLACE "\n$" "" KP_LICENSE_BODY "${KP_LICENSE_BODY}")
string(REGEX REPLACE "\n" "\n " KP_LICENSE_BODY "${KP_LICENSE_BODY}")
configure_file(deploy/debian/copyright.in ${KP_PKG_DIR}/copyright @ONLY)
install(FILES ${KP_PKG_DIR}/copyright DESTINATION ${KP_DOCDIR})

install(FILES README.md docs/operations.md docs/kptrace.md docs/kpannotate.md docs/format.md
  docs/format-annotated.md docs/asmap.md docs/replay.md docs/security.md
  DESTINATION ${KP_DOCDIR})
file(GLOB KP_EXAMPLE_CONFS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/deploy/systemd/examples/*.conf)
install(FILES ${KP_EXAMPLE_CONFS} DESTINATION ${KP_DOCDIR}/examples)

# The systemd units (Debian 12 keeps packaged units in /lib/systemd/system)
# and the helper they run to check their conf and start the program.
file(GLOB KP_UNITS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/deploy/systemd/*.service
  ${CMAKE_SOURCE_DIR}/deploy/systemd/*.timer)
install(FILES ${KP_UNITS} DESTINATION /lib/systemd/system)
install(PROGRAMS deploy/systemd/kptrace-conf DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/kptrace)

# --- CPack: one binary package, kptrace_VERSION_ARCH.deb ---------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kptrace)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGE_CONTACT "kptrace developers <kptrace@lists.kptrace.org>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "measure which transit carries packets into North Korea's AS")
# CPack puts the summary first: this is the long description only.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "kptrace runs paced Paris ICMP, UDP and TCP traceroutes to many targets at once
from vantage points, keeps a capture of every probe and reply and writes one
JSON line per trace. kpannotate maps the hops to ASes and decides, per vantage
point, destination /24 and method, which transit hands the traffic to the
target AS (AS131279: China Unicom, TransTeleCom or another).
.
The package also holds kp-sweep, kp-collect and kp-report (scheduled sweeps,
collection into one archive, reports) and sandboxed systemd units for them,
run as the kptrace system user with CAP_NET_RAW only.")
# Depends: the shared libraries (dpkg-shlibdeps), plus what the scripts and
# the maintainer scripts run.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3, adduser")
# Recommends: what only the collector needs. rsync and ssh pull the sweeps;
# kp-report draws its plots with matplotlib and its path graphs with graphviz.
# A vantage point only sweeps: as Depends, matplotlib would put numpy, fonts,
# fonttools and Pillow (some 60 MB) on every VPS. apt installs Recommends by default,
# so a collector gets them; kp-report without them stops at once and names
# the package to install.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "rsync, openssh-client, python3-matplotlib, graphviz")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
  ${CMAKE_SOURCE_DIR}/deploy/debian/prerm
  ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/deb)
include(CPack)
