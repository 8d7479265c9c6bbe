# Chooses the instruction-set level and sets L2L_ARCH_EFFECTIVE ("x86-64-v3", ..., or "native").
# A level is checked with a small program run on this machine (__builtin_cpu_supports), so an
# unsupported level is caught here with a message rather than by an illegal-instruction crash later.
set(_l2l_levels x86-64-v2 x86-64-v3 x86-64-v4)

function(_l2l_cpu_has level out)
  set(_src "${CMAKE_BINARY_DIR}/CMakeFiles/l2l_cpu_level.cpp")
  file(WRITE "${_src}" "int main() { __builtin_cpu_init(); return __builtin_cpu_supports(\"${level}\") ? 0 : 1; }\n")
  try_run(_run _compiled "${CMAKE_BINARY_DIR}/CMakeFiles/l2l_cpu_${level}" "${_src}")
  if(NOT _compiled)
    message(FATAL_ERROR "L2L: the compiler cannot check CPU levels (__builtin_cpu_supports(\"${level}\") needs GCC 12 "
                        "or Clang 18; Debian 12's g++ 12 has it)")
  endif()
  if(_run EQUAL 0)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

if(L2L_NATIVE)
  set(L2L_ARCH_EFFECTIVE native)
  message(WARNING "L2L: L2L_NATIVE=ON: -march=native, so results depend on this CPU and differ from the published "
                  "ones; the fingerprint test is not registered. Configure with -DL2L_NATIVE=OFF for the default build.")
else()
  if(L2L_ARCH STREQUAL "")
    _l2l_cpu_has(x86-64-v3 _has_v3)
    if(_has_v3)
      set(L2L_ARCH_EFFECTIVE x86-64-v3)
    else()
      set(L2L_ARCH_EFFECTIVE x86-64-v2)
      message(WARNING "L2L: this CPU lacks AVX2/FMA (x86-64-v3), building for x86-64-v2 instead. It runs, but "
                      "its float results differ in the last bits from the default build's, so `l2l fingerprint` "
                      "will not match the committed hashes and the fingerprint test is not registered.")
    endif()
  else()
    if(NOT L2L_ARCH IN_LIST _l2l_levels)
      message(FATAL_ERROR "L2L: L2L_ARCH must be one of ${_l2l_levels} (or empty for the default), got '${L2L_ARCH}'")
    endif()
    set(L2L_ARCH_EFFECTIVE ${L2L_ARCH})
    if(NOT L2L_SKIP_CPU_CHECK)
      _l2l_cpu_has(${L2L_ARCH} _has)
      if(NOT _has)
        message(FATAL_ERROR "L2L: this CPU cannot run ${L2L_ARCH} code. Leave L2L_ARCH empty (x86-64-v3, or "
                            "x86-64-v2 on older CPUs), pick a lower level, or set L2L_SKIP_CPU_CHECK=ON to build "
                            "for other machines.")
      endif()
    endif()
  endif()
  message(STATUS "L2L: instruction-set level ${L2L_ARCH_EFFECTIVE}")
endif()
add_compile_options(-march=${L2L_ARCH_EFFECTIVE})
