# Run at build time (cmake -P): runs EXE with ARGS (a ;-list), writes its standard output to OUT, optionally
# gzipped (-DGZIP=ON, reproducible: no name or time stamp); fails the build if the command fails.
#   -DEXE=<program> -DARGS=<a;b> -DOUT=<file> [-DGZIP=ON]
execute_process(COMMAND "${EXE}" ${ARGS} OUTPUT_FILE "${OUT}.tmp" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "${EXE} ${ARGS} failed (${rc}): ${err}")
endif()
if(GZIP)
  execute_process(COMMAND gzip -9n -c "${OUT}.tmp" OUTPUT_FILE "${OUT}" RESULT_VARIABLE rc)
  file(REMOVE "${OUT}.tmp")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip of ${OUT} failed")
  endif()
else()
  file(RENAME "${OUT}.tmp" "${OUT}")
endif()
