# CMake toolchain file that makes llmcc the C compiler:
#   cmake -DCMAKE_TOOLCHAIN_FILE=$(llmcc --print-toolchain-file) -S . -B build
# llmcc is looked for next to the Python that installed it (this file lives in the
# package, .../site-packages/gcc_wrapper/compile or the source tree), then on PATH.
# CMake identifies it as GNU, since llmcc answers --version, -E and -v exactly as gcc.
# Set LLMCC_EXECUTABLE in the environment to choose another llmcc.

if(DEFINED ENV{LLMCC_EXECUTABLE} AND EXISTS "$ENV{LLMCC_EXECUTABLE}")
  set(_llmcc "$ENV{LLMCC_EXECUTABLE}")
else()
  unset(_llmcc CACHE)
  # A venv keeps its console scripts in bin/ beside lib/pythonX.Y/site-packages; in a
  # source checkout (editable install) the venv is .venv/ at the top of the tree.
  get_filename_component(_llmcc_pkg "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
  find_program(_llmcc NAMES llmcc NO_DEFAULT_PATH PATHS
    "${_llmcc_pkg}/../../../../bin"
    "${_llmcc_pkg}/../.venv/bin")
  if(NOT _llmcc)
    find_program(_llmcc NAMES llmcc)
  endif()
endif()

if(NOT _llmcc)
  message(FATAL_ERROR "llmcc toolchain: the llmcc command was not found (put it on PATH or set LLMCC_EXECUTABLE)")
endif()

set(CMAKE_C_COMPILER "${_llmcc}" CACHE FILEPATH "llmcc, the C compiler" FORCE)
