/* Intentionally (almost) empty: compiled into the stub static library that the
 * worker's meson.build passes to link_whole. The real code comes from the
 * Debian system library found by dependency() in meson.build. */
typedef int ms_lab_flatbuffers_stub_t;
