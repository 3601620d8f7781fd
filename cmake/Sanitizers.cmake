# TINYC_SANITIZE=ON: the compiler itself (every tinyc library, tinyc, tinyc-opt)
# built with AddressSanitizer and UndefinedBehaviorSanitizer.
# TINYC_FUZZ=ON: the same, plus libFuzzer's coverage instrumentation and the
# fuzz target tinyc-fuzz (tools/tinyc-fuzz).
#
# Both need clang (configure with -DCMAKE_C_COMPILER=clang-19
# -DCMAKE_CXX_COMPILER=clang++-19): GCC has no libFuzzer. Debian's LLVM, MLIR,
# protobuf and ONNX libraries are not instrumented, which has two consequences:
#  - ASan's container-overflow check gives false reports when a std::vector is
#    grown by uninstrumented code and read by instrumented code (or the other
#    way round), so tinyc and tinyc-opt switch detect_container_overflow off
#    themselves (include/tinyc/Tools/SanitizerDefaults.h);
#  - LLVM's allocators (BumpPtrAllocator, Recycler) poison freed memory when
#    their header code is compiled with ASan, as it is inside tinyc, while the
#    same allocators in the uninstrumented libLLVM/libMLIR reuse that memory
#    without unpoisoning it: tinyc-opt reported use-after-poison in MLIR's
#    dialect registry on every test. Hence also allow_user_poisoning=0, built
#    in the same way (only this manual poisoning is off; ASan's own redzones
#    stay, and the test programs, which poison their arenas, keep it);
#  - UBSan's vptr check needs RTTI, which LLVM-style code is built without;
#    clang drops it from -fsanitize=undefined by itself under -fno-rtti.
option(TINYC_SANITIZE "Build tinyc and tinyc-opt with ASan and UBSan" OFF)
option(TINYC_FUZZ "Build the libFuzzer target tinyc-fuzz (implies TINYC_SANITIZE)" OFF)

if(TINYC_FUZZ)
  set(TINYC_SANITIZE ON)
endif()
if(TINYC_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TINYC_SANITIZE and TINYC_FUZZ need clang: configure with "
                        "-DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19")
  endif()
  # -fno-sanitize-recover: a UBSan finding fails the test that hit it instead
  # of scrolling past in its stderr.
  set(tinyc_sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  if(TINYC_FUZZ)
    # Coverage for libFuzzer in every tinyc library; only tinyc-fuzz links
    # libFuzzer's main.
    list(APPEND tinyc_sanitize_flags -fsanitize=fuzzer-no-link)
  endif()
  add_compile_options(${tinyc_sanitize_flags})
  add_link_options(-fsanitize=address,undefined)
endif()
