# Compiler warnings for every target of the project.
option(SFSYNC_WERROR "Treat warnings as errors" OFF)

add_compile_options(-Wall -Wextra -Wshadow -Wformat=2 -Wvla
                    -Wno-unused-parameter)
add_compile_options($<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>
                    $<$<COMPILE_LANGUAGE:C>:-Wmissing-prototypes>)
if(SFSYNC_WERROR)
  add_compile_options(-Werror)
endif()
