//===- SanitizerDefaults.h - ASan options of a sanitized compiler -*- C++ -*-===//
//
// Included once by each tool's main file. In a build with -DTINYC_SANITIZE=ON
// the compiler is instrumented but Debian's LLVM, MLIR and protobuf are not,
// which two ASan checks cannot tell apart from bugs (docs/testing.md):
// container overflow (a std::vector's capacity is marked only in
// instrumented code) and user poisoning (LLVM's allocators poison recycled
// memory in the header code compiled into tinyc, the uninstrumented copies
// hand it out again). The options are built into the tools rather than set in
// the environment, so that the programs the tests build and run under ASan
// (tinyc-run --sanitize, whose harness poisons the arena's red zones) keep
// every check.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_TOOLS_SANITIZERDEFAULTS_H
#define TINYC_TOOLS_SANITIZERDEFAULTS_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
extern "C" const char *__asan_default_options() {
  return "detect_container_overflow=0:allow_user_poisoning=0";
}
#endif
#endif

#endif // TINYC_TOOLS_SANITIZERDEFAULTS_H
